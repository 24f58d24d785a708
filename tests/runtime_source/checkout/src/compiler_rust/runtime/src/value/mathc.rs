//! Math is defined in C (src/runtime/runtime_math.c); Rust only declares it.
extern "C" {
    pub fn rt_math_hypot(x: f64, y: f64) -> f64;
}
