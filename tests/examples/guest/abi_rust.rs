//! The Rust counterpart of abi_c.c: every safe wrapper of the SDK, once per
//! step; a raw import whose name or type differs from the host's fails to
//! link when the scene loads.
#![no_std]

use portalis::{Attr, ModuleState};

portalis::export_alloc!();

struct H {
    x: Attr,
    v: Attr,
    y: Attr,
    y32: Attr,
    w: Attr,
    cfg: Attr,
    config: [f64; 3],
}

static S: ModuleState<Option<H>> = ModuleState::new(None);

fn find(name: &str) -> Attr {
    Attr::find(name).expect("channel")
}

#[no_mangle]
pub extern "C" fn _initialize() {
    // Configuration: (count of gains, gains[2], length of label).
    let mut buf = [0u8; 8];
    let label = portalis::config_str("label", &mut buf).map_or(-1.0, |l| if l == b"hello" { 5.0 } else { 99.0 });
    let mut config = [portalis::config_count("gains").map_or(-1.0, |n| n as f64), 0.0, label];
    config[1] = portalis::config_f64("gains", 2).unwrap_or(0.0);
    if portalis::config_count("nope").is_some() || portalis::config_f64("gains", 3).is_some() {
        config[0] = 99.0;
    }
    let h = H {
        x: find("inputs:x"),
        v: find("inputs:v"),
        y: find("outputs:y"),
        y32: find("outputs:y32"),
        w: find("outputs:w"),
        cfg: find("outputs:cfg"),
        config,
    };
    if Attr::find("inputs:nope").is_none() && portalis::ABI_VERSION == 1 {
        portalis::log("abi_rust ready");
    }
    S.with(|s| *s = Some(h));
}

#[no_mangle]
pub extern "C" fn update(time: f64, _dt: f64) {
    S.with(|s| {
        if let Some(h) = s {
            h.y.set(2.0 * h.x.get());
            h.y32.set_f32(h.x.get_f32() + 1.0);
            let v = h.v.get_vec3();
            h.w.set_vec3([v[0] * time, v[1] * time, v[2] * time]);
            h.cfg.set_vec3(h.config);
            portalis::post_event("abi_tick");
        }
    });
}
