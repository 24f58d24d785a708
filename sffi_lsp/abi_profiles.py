"""The built-in ABI profiles (`native`, `cstring`, `dynamic`): what each Simple type category
becomes in ABI words. Data the configuration builds user profiles on and `check.abi` compares
with; below both (see `check.abi` for the comparison and its judgement calls)."""

from __future__ import annotations

from .config_types import AbiMapping, AbiProfile

INT_WORDS = {f"{s}{n}": (n // 8, s == "i") for s in "iu" for n in (8, 16, 32, 64)}
FLOAT_WORDS = {"f32": 4, "f64": 8}
SCALARS = (*INT_WORDS, *FLOAT_WORDS, "bool")
DYNAMIC_MAX_ARGS = 12


def _scalar_maps() -> dict[str, AbiMapping]:
    return {s: AbiMapping((s,)) for s in SCALARS}


def builtin_profile(name: str) -> AbiProfile:
    """`native`, `cstring` or `dynamic` (KeyError for any other name)."""
    handle = AbiMapping(("handle",))
    ptr = AbiMapping(("ptr",))
    if name in ("native", "cstring"):
        text_param = AbiMapping(("ptr", "u64")) if name == "native" else ptr
        text_result = handle if name == "native" else ptr
        params = {**_scalar_maps(), "text": text_param, "array": handle, "tuple": handle, "optional": handle,
                  "dict": handle, "value": handle, "pointer": ptr, "function": ptr, "unit": AbiMapping(())}
        returns = {**params, "text": text_result}
        return AbiProfile(name=name, params=params, returns=returns)
    if name == "dynamic":
        one = AbiMapping(("i64",))
        cats = (*SCALARS, "text", "array", "tuple", "optional", "dict", "value", "pointer", "function")
        params = {c: one for c in cats} | {"unit": AbiMapping(())}
        return AbiProfile(name=name, params=params, returns=dict(params), max_args=DYNAMIC_MAX_ARGS)
    raise KeyError(name)
