#[no_mangle]
pub extern "C" fn rt_fast_sqrt(x: f64) -> f64 { x }
