//! The specification's "Creating New WASM Modules" function, as its
//! translation to Rust would be (compiled for wasm32-unknown-unknown).
#![no_std]

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[no_mangle]
pub extern "C" fn my_function(x: f64, y: f64) -> f64 {
    x * y + x / y
}
