#[no_mangle]
pub extern "C" fn rt_defined_only_for_tests() -> i64 { 0 }
