//! Guest SDK for Portalis WebAssembly modules written in Rust (module ABI v1,
//! docs/abi.md; building and running a module: docs/modules.md).
//!
//! `#![no_std]`, no dependencies: it builds offline with Debian's rustc and
//! cargo for `wasm32-unknown-unknown` (recommended) or `wasm32-wasi`.
//!
//! A tick module looks up its prim's channels once, in `_initialize`, and
//! reads inputs / sets outputs in `update`:
//!
//! ```ignore
//! #![no_std]
//! use portalis::{Attr, ModuleState};
//!
//! struct Handles { speed: Attr, pos: Attr }
//! static H: ModuleState<Option<Handles>> = ModuleState::new(None);
//!
//! #[no_mangle]
//! pub extern "C" fn _initialize() {
//!     let speed = Attr::find("inputs:speed").expect("inputs:speed");
//!     let pos = Attr::find("outputs:position").expect("outputs:position");
//!     H.with(|h| *h = Some(Handles { speed, pos }));
//! }
//!
//! #[no_mangle]
//! pub extern "C" fn update(time: f64, _dt: f64) {
//!     H.with(|h| if let Some(h) = h { h.pos.set_vec3([h.speed.get() * time, 0.0, 0.0]) });
//! }
//! ```
//!
//! Every wrapper is safe: the host checks handles, pointers and lengths and
//! traps (disabling the module with a message naming its prim) on misuse, for
//! example setting an input. Nothing here allocates.
#![no_std]

#[cfg(not(target_arch = "wasm32"))]
compile_error!("the portalis guest SDK is for WebAssembly modules: build with --target wasm32-unknown-unknown");

use core::cell::{Cell, UnsafeCell};

/// Version of the module ABI these wrappers implement (docs/abi.md).
pub const ABI_VERSION: u32 = 1;

/// The raw `portalis` imports, exactly as the host provides them. Prefer the
/// safe wrappers ([`Attr`], [`log`], [`post_event`]).
pub mod raw {
    #[link(wasm_import_module = "portalis")]
    extern "C" {
        /// Handle of the prim's channel `name` ("inputs:x", "outputs:y"), -1 if absent.
        pub fn attr(name_ptr: *const u8, name_len: i32) -> i32;
        /// First component of a channel.
        pub fn get_f64(h: i32) -> f64;
        /// First component of a channel, as f32.
        pub fn get_f32(h: i32) -> f32;
        /// Sets a scalar output.
        pub fn set_f64(h: i32, v: f64);
        /// Sets a scalar output from an f32.
        pub fn set_f32(h: i32, v: f32);
        /// Writes the first three components of a channel at `out`.
        pub fn get_vec3(h: i32, out: *mut f64);
        /// Sets a vector output.
        pub fn set_vec3(h: i32, x: f64, y: f64, z: f64);
        /// Posts a named event, delivered next frame.
        pub fn post_event(name_ptr: *const u8, name_len: i32);
        /// Prints "prim P: log: MESSAGE".
        pub fn log(ptr: *const u8, len: i32);
        /// Numeric values of a configuration attribute, -1 if absent.
        pub fn config_count(name_ptr: *const u8, name_len: i32) -> i32;
        /// Value i of a configuration attribute (0 when absent).
        pub fn config_f64(name_ptr: *const u8, name_len: i32, i: i32) -> f64;
        /// Copies a token/string value into buf; its full length, -1 if absent.
        pub fn config_str(name_ptr: *const u8, name_len: i32, buf: *mut u8, cap: i32) -> i32;
    }
}

/// A channel of the module's prim: one of its numeric `inputs:*` or
/// `outputs:*` attributes (scalars, vectors, arrays of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr(i32);

impl Attr {
    /// Looks up the channel `name` (the full attribute name, e.g.
    /// `"inputs:speed"`); `None` if the prim declares no such attribute.
    /// Do it once, in `_initialize`: handles stay valid. Names must be
    /// shorter than 256 bytes (longer ones trap).
    pub fn find(name: &str) -> Option<Attr> {
        // Safety: the host only reads name.len() bytes at name.as_ptr().
        let h = unsafe { raw::attr(name.as_ptr(), name.len() as i32) };
        if h < 0 {
            None
        } else {
            Some(Attr(h))
        }
    }

    /// The handle number the raw imports take.
    pub fn handle(self) -> i32 {
        self.0
    }

    /// First component of the channel: an input follows its connection (or
    /// reads its authored value, at the current time if animated); an output
    /// reads the last value set.
    pub fn get(self) -> f64 {
        unsafe { raw::get_f64(self.0) }
    }

    /// [`Attr::get`] rounded to f32.
    pub fn get_f32(self) -> f32 {
        unsafe { raw::get_f32(self.0) }
    }

    /// The first three components (missing ones are 0).
    pub fn get_vec3(self) -> [f64; 3] {
        let mut v = [0.0f64; 3];
        // Safety: the host writes exactly 3 f64 at the pointer.
        unsafe { raw::get_vec3(self.0, v.as_mut_ptr()) };
        v
    }

    /// Sets a scalar output (recorded as a time sample of the frame). Traps
    /// if the channel is an input or an array.
    pub fn set(self, v: f64) {
        unsafe { raw::set_f64(self.0, v) }
    }

    /// [`Attr::set`] from an f32.
    pub fn set_f32(self, v: f32) {
        unsafe { raw::set_f32(self.0, v) }
    }

    /// Sets a vector output (`double3`, `float3`, `point3f`...). Traps if the
    /// channel is an input, a scalar or an array.
    pub fn set_vec3(self, v: [f64; 3]) {
        unsafe { raw::set_vec3(self.0, v[0], v[1], v[2]) }
    }
}

/// Prints the diagnostic line "prim /Path: log: MSG" (cut at 511 bytes).
/// Not for every frame: each line stays in the run report.
pub fn log(msg: &str) {
    unsafe { raw::log(msg.as_ptr(), msg.len() as i32) }
}

/// Posts the named event: every `event_driven` module that lists it in
/// `wasm:events` runs at the next frame. Names must be shorter than 256 bytes.
pub fn post_event(name: &str) {
    unsafe { raw::post_event(name.as_ptr(), name.len() as i32) }
}

/// Number of numeric values (components times elements) of the prim's
/// configuration attribute `name`, or `None` when it is absent or not
/// numeric. Configuration attributes are all the prim's attributes other
/// than `inputs:*` / `outputs:*`: their authored value, else the schema's
/// fallback (`"wasm:gravityOverride"` on a `WasmPhysics` prim), fixed when
/// the module loads (docs/abi.md). Read them in `_initialize`.
pub fn config_count(name: &str) -> Option<usize> {
    let n = unsafe { raw::config_count(name.as_ptr(), name.len() as i32) };
    if n < 0 {
        None
    } else {
        Some(n as usize)
    }
}

/// Value `i` of the numeric configuration attribute `name` (see
/// [`config_count`]), or `None` when it has no such value.
pub fn config_f64(name: &str, i: usize) -> Option<f64> {
    match config_count(name) {
        Some(n) if i < n => Some(unsafe { raw::config_f64(name.as_ptr(), name.len() as i32, i as i32) }),
        _ => None,
    }
}

/// Copies the token / string / asset configuration attribute `name` into
/// `buf` and returns the bytes copied, or `None` when it is absent, not a
/// string, or longer than `buf`.
pub fn config_str<'a>(name: &str, buf: &'a mut [u8]) -> Option<&'a [u8]> {
    let n = unsafe { raw::config_str(name.as_ptr(), name.len() as i32, buf.as_mut_ptr(), buf.len() as i32) };
    if n < 0 || n as usize > buf.len() {
        return None;
    }
    Some(&buf[..n as usize])
}

/// Module-wide mutable state in a `static`, without `static mut`.
///
/// The host never calls into one module instance from two threads at once
/// and wasm32 modules have no threads, so a `static` cell is sound as long
/// as it is not borrowed twice: [`ModuleState::with`] panics (and so traps)
/// if called again from inside its own closure.
pub struct ModuleState<T> {
    value: UnsafeCell<T>,
    busy: Cell<bool>,
}

// Safety: see the type's documentation (single-threaded guest, re-entry checked).
unsafe impl<T> Sync for ModuleState<T> {}

impl<T> ModuleState<T> {
    /// A cell holding `value` (usable in a `static`).
    pub const fn new(value: T) -> Self {
        ModuleState { value: UnsafeCell::new(value), busy: Cell::new(false) }
    }

    /// Runs `f` with exclusive access to the state.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        if self.busy.replace(true) {
            panic!("ModuleState::with called re-entrantly");
        }
        // Safety: `busy` guarantees this is the only live reference.
        let r = f(unsafe { &mut *self.value.get() });
        self.busy.set(false);
        r
    }
}

/// Memory for the host's array buffers (docs/abi.md, bulk arrays).
pub mod alloc {
    use super::ModuleState;

    const PAGE: usize = 65536;
    static ARENA: ModuleState<(usize, usize)> = ModuleState::new((0, 0));

    /// Returns `bytes` bytes aligned to 8, taken from pages added to linear
    /// memory with `memory.grow` (never freed; the host allocates once per
    /// array and again only when an array grows). 0 if memory cannot grow or
    /// `bytes` is negative. This is what [`export_alloc!`](crate::export_alloc)
    /// exports as `portalis_alloc`.
    pub fn bump(bytes: i32) -> i32 {
        if bytes < 0 {
            return 0;
        }
        let n = (bytes as usize + 7) & !7;
        ARENA.with(|(next, end)| {
            if *end - *next < n {
                let pages = (n + PAGE - 1) / PAGE;
                let old = core::arch::wasm32::memory_grow(0, pages);
                if old == usize::MAX {
                    return 0;
                }
                // A fresh region: the rest of the previous one is abandoned
                // unless the new pages directly follow it.
                if *end != old * PAGE {
                    *next = old * PAGE;
                }
                *end = (old + pages) * PAGE;
            }
            let p = *next;
            *next += n;
            p as i32
        })
    }
}

/// Exports `portalis_alloc(i32 bytes) -> i32`, which a module needs when the
/// scene passes it array attributes (`wasm:params` naming an array input or
/// output). Write `portalis::export_alloc!();` once at the crate's top level.
#[macro_export]
macro_rules! export_alloc {
    () => {
        #[no_mangle]
        pub extern "C" fn portalis_alloc(bytes: i32) -> i32 {
            $crate::alloc::bump(bytes)
        }
    };
}

/// Floating-point helpers that `core` lacks on `no_std`.
pub mod math {
    /// Square root of `x` (NaN for negative `x`), within one unit in the
    /// last place: Newton's iteration from a bit-level first guess.
    pub fn sqrt(x: f64) -> f64 {
        if x.is_nan() || x < 0.0 {
            return f64::NAN;
        }
        if x == 0.0 || x.is_infinite() {
            return x;
        }
        // Halving the exponent gives a guess within a factor of 2 (further
        // for subnormals), and Newton's iteration doubles the correct bits
        // each round until it stops changing.
        let mut r = f64::from_bits((x.to_bits() >> 1) + (1023u64 << 51));
        for _ in 0..64 {
            let next = 0.5 * (r + x / r);
            if next == r {
                break;
            }
            r = next;
        }
        r
    }
}

#[cfg(feature = "panic-handler")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut buf = [0u8; 200];
    let mut n = 0;
    let mut put = |s: &[u8]| {
        for &b in s {
            if n < buf.len() {
                buf[n] = b;
                n += 1;
            }
        }
    };
    put(b"panicked");
    if let Some(loc) = info.location() {
        put(b" at ");
        put(loc.file().as_bytes());
        put(b":");
        let mut digits = [0u8; 10];
        let (mut line, mut k) = (loc.line(), digits.len());
        loop {
            k -= 1;
            digits[k] = b'0' + (line % 10) as u8;
            line /= 10;
            if line == 0 {
                break;
            }
        }
        put(&digits[k..]);
    }
    // Safety: the host reads n bytes of buf.
    unsafe { raw::log(buf.as_ptr(), n as i32) };
    core::arch::wasm32::unreachable()
}
