//! The rt_gfx_* family: names come from a signature table, not match arms.

const GFX_SIGNATURES: &[(&str, usize)] = &[
    ("rt_gfx_device_count", 0),
    ("rt_gfx_buffer_new", 2),
];

pub fn signature_of(name: &str) -> Option<usize> {
    GFX_SIGNATURES.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

pub fn dispatch(name: &str, args: &[Value]) -> Result<Value, Error> {
    let arity = signature_of(name).unwrap_or(0);
    call_native(name, args, arity)
}
