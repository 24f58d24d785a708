//! The rt_pix_* family (sample): a family module with its own dispatch.

pub fn dispatch(name: &str, args: &[Value]) -> Result<Value, Error> {
    match name {
        "rt_pix_init" => Ok(Value::Int(0)),
        "rt_pix_blit" | "rt_pix_blit_scaled" => blit(args),
        "rt_pix_present_rgba" => Err(Error::runtime(format!(
            "{name}: takes a native array the interpreter cannot marshal"
        ))),
        _ => Err(Error::runtime(format!("{name}: unknown rt_pix_* function"))),
    }
}

fn blit(args: &[Value]) -> Result<Value, Error> {
    match args.len() {
        2 => Ok(Value::Nil),
        _ => Err(Error::runtime("rt_pix_blit: bad arity".to_string())),
    }
}
