// Pulled into sffi/mod.rs with include!.
#[no_mangle]
pub extern "C" fn rt_generated_answer() -> i64 {
    42
}
