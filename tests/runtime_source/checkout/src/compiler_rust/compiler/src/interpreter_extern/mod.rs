//! Miniature interpreter dispatch (sffi-lsp test sample: the table shape).

use std::collections::HashMap;

type ExternHandler = fn(&[Value], &mut Env) -> Result<Value, Error>;

static EXTERN_DISPATCH: LazyLock<HashMap<&'static str, ExternHandler>> = LazyLock::new(init_dispatch_table);

pub mod common;
pub mod conv;
pub mod envs;
pub mod pix;
pub mod snd;
pub mod sock;
#[cfg(feature = "gui")]
pub mod win;
pub mod gfx;
pub mod capability_gap;
pub mod dynamic_sffi;

fn init_dispatch_table() -> HashMap<&'static str, ExternHandler> {
    let mut m = HashMap::with_capacity(64);
    macro_rules! insert_simple {
        ($name:literal, $handler:path) => {
            m.insert($name, (|args, _env| $handler(args)) as ExternHandler);
        };
    }
    insert_simple!("abs", conv::abs);
    insert_simple!("rt_env_get", envs::rt_env_get);
    insert_simple!("rt_env_set", envs::rt_env_set);
    insert_simple!(
        "rt_string_split_on",
        conv::split_on
    );
    // `rt_file_size` used to be missing here (kept as a comment: "rt_not_a_row")
    insert_simple!("rt_file_size", envs::file_size);
    #[cfg(feature = "net")]
    insert_simple!("rt_tcp_open", envs::tcp_open);
    #[cfg(feature = "gui")]
    insert_simple!("rt_window_title", envs::window_title);
    #[cfg(target_os = "windows")]
    insert_simple!("rt_registry_read", envs::registry_read);
    let label = format!("{}", "rt_format_is_not_a_row");
    m.insert(
        "print",
        (|args, env| {
            let shown = env.show(args);
            conv::print(&shown)
        }) as ExternHandler,
    );
    m.insert("rt_thread_spawn_isolated", |args, env| conv::spawn(args, env));
    m
}

pub(crate) fn call_extern_function(name: &str, evaluated: &[Value], env: &mut Env) -> Result<Value, Error> {
    if let Some(handler) = EXTERN_DISPATCH.get(name) {
        return handler(evaluated, env);
    }

    #[cfg(feature = "gui")]
    if name.starts_with("rt_win_") {
        return win::dispatch(name, evaluated);
    }

    if name.starts_with("rt_pix_") {
        return pix::dispatch(name, evaluated);
    }

    // the sound family, except its HD satellite
    if name.starts_with("rt_snd_") && !name.starts_with("rt_snd_hd_") {
        return snd::dispatch(name, evaluated);
    }

    if name == "rt_sock_prepare" || name == "rt_sock_commit" {
        return sock::dispatch(name, evaluated);
    }

    if name.starts_with("rt_lane_") {
        return match name {
            "rt_lane_event" => envs::lane_event(evaluated),
            "rt_lane_reset" | "rt_lane_clear" => envs::lane_reset(evaluated),
            _ => Err(common::unknown_function(name)),
        };
    }

    if name.starts_with("rt_gfx_") && gfx::signature_of(name).is_some() {
        return gfx::dispatch(name, evaluated);
    }

    if capability_gap::matches(name) {
        return capability_gap::dispatch(name);
    }

    if let Some(result) = dynamic_sffi::try_call_dynamic(name, evaluated) {
        return result;
    }

    Err(common::unknown_function(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn init_test_table() {
        let mut m = HashMap::new();
        macro_rules! insert_simple {
            ($name:literal, $handler:path) => {
                m.insert($name, $handler);
            };
        }
        insert_simple!("rt_only_in_tests", conv::abs);
        m.insert("rt_also_only_in_tests", conv::abs);
    }

    #[test]
    fn registered() {
        assert!(EXTERN_DISPATCH.contains_key("rt_env_get"));
    }
}
