//! The interpreter's extern dispatch (example).

pub mod dirs;
pub mod clip;

static EXTERN_DISPATCH: LazyLock<HashMap<&'static str, ExternHandler>> = LazyLock::new(init_dispatch_table);

fn init_dispatch_table() -> HashMap<&'static str, ExternHandler> {
    let mut m = HashMap::new();
    macro_rules! insert_simple {
        ($name:literal, $handler:path) => {
            m.insert($name, (|args, _env| $handler(args)) as ExternHandler);
        };
    }
    insert_simple!("rt_dir_list", dirs::list);
    insert_simple!("rt_dir_exists", dirs::exists);
    m
}

pub(crate) fn call_extern_function(name: &str, args: &[Value], env: &mut Env) -> Result<Value, Error> {
    if let Some(handler) = EXTERN_DISPATCH.get(name) {
        return handler(args, env);
    }
    if name.starts_with("rt_clip_") {
        return clip::dispatch(name, args);
    }
    Err(unknown_function(name))
}
