//! The rt_snd_* family (sample), calling C through declared prototypes.

unsafe extern "C" {
    fn rt_snd_init() -> i64;
    fn rt_snd_play(sound: i64) -> i64;
}

pub fn dispatch(name: &str, args: &[Value]) -> Result<Value, Error> {
    match name {
        "rt_snd_init" => Ok(Value::Int(unsafe { rt_snd_init() })),
        "rt_snd_play" => Ok(Value::Int(unsafe { rt_snd_play(as_int(args, 0)?) })),
        #[cfg(target_os = "linux")]
        "rt_snd_alsa_probe" => Ok(Value::Int(1)),
        _ => Err(Error::runtime(format!("{name}: unknown rt_snd_* function"))),
    }
}
