//! A tick module in Rust: a ball dropped from inputs:height bounces on the
//! ground (z = inputs:radius) losing speed by inputs:restitution at each
//! bounce. Its outputs:position drives the ball's xformOp:translate (see
//! bouncing_ball.usda); outputs:bounces counts bounces and each bounce posts
//! the event "bounce". Build and run: docs/modules.md.
//!
//! The state (height, velocity) is advanced from the time of the previous
//! call to `time` exactly: under constant gravity the path between bounces
//! is a parabola, and each bounce time is solved for. So the result does
//! not depend on the update rate, nor on frames being skipped.
#![no_std]

use portalis::math::sqrt;
use portalis::{post_event, Attr, ModuleState};

struct Ball {
    height: Attr,
    radius: Attr,
    gravity: Attr,
    restitution: Attr,
    position: Attr,
    bounces_out: Attr,
    started: bool,
    resting: bool,
    t: f64,
    z: f64,
    vz: f64,
    bounces: u32,
}

static BALL: ModuleState<Option<Ball>> = ModuleState::new(None);

fn channel(name: &str) -> Attr {
    match Attr::find(name) {
        Some(a) => a,
        None => {
            portalis::log("bouncing_ball: the prim lacks a channel it needs:");
            portalis::log(name);
            panic!("missing channel");
        }
    }
}

/// Runs once at load: resolves the channels by name.
#[no_mangle]
pub extern "C" fn _initialize() {
    let ball = Ball {
        height: channel("inputs:height"),
        radius: channel("inputs:radius"),
        gravity: channel("inputs:gravity"),
        restitution: channel("inputs:restitution"),
        position: channel("outputs:position"),
        bounces_out: channel("outputs:bounces"),
        started: false,
        resting: false,
        t: 0.0,
        z: 0.0,
        vz: 0.0,
        bounces: 0,
    };
    BALL.with(|b| *b = Some(ball));
}

impl Ball {
    /// Moves the ball forward by `span` seconds, bounce by bounce.
    fn advance(&mut self, mut span: f64) {
        let (r, g, e) = (self.radius.get(), self.gravity.get(), self.restitution.get());
        // A bound on bounces per call keeps a ball that comes to rest
        // (infinitely many ever shorter bounces) from looping forever.
        for _ in 0..64 {
            if self.resting || span <= 0.0 {
                return;
            }
            // Time until z + vz*s - g/2*s^2 falls back to r.
            let disc = self.vz * self.vz + 2.0 * g * (self.z - r);
            let hit = (self.vz + sqrt(if disc > 0.0 { disc } else { 0.0 })) / g;
            if hit > span {
                self.z += self.vz * span - 0.5 * g * span * span;
                self.vz -= g * span;
                return;
            }
            self.vz = -(self.vz - g * hit) * e;
            self.z = r;
            span -= hit;
            self.bounces += 1;
            post_event("bounce");
            if self.vz < 1e-3 {
                self.resting = true;
                self.vz = 0.0;
            }
        }
    }
}

/// One step: `time` is the simulated time this call represents.
#[no_mangle]
pub extern "C" fn update(time: f64, _dt: f64) {
    BALL.with(|b| {
        let b = match b {
            Some(b) => b,
            None => return,
        };
        if !b.started {
            b.started = true;
            b.z = b.height.get();
        } else {
            b.advance(time - b.t);
        }
        b.t = time;
        b.position.set_vec3([0.0, 0.0, b.z]);
        b.bounces_out.set(b.bounces as f64);
    });
}
