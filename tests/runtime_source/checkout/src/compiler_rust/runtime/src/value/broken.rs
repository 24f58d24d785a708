// A file the reader must survive: it does not parse.
#[no_mangle]
pub extern "C" fn rt_broken_before(a: i64) -> i64 { a }

#[no_mangle]
pub extern "C" fn rt_broken_after(a: i64 -> i64 {{{ ] let = ;
