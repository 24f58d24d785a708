"""Where an extern can come from, in the order a Simple runtime asks.

One module per provider kind, each a `protocol.SymbolProvider`:
`builtin_table` (built-ins lists, the runtime binary, prefix families),
`manifest` (plugins), `runtime_library` (`libsimple_runtime.so`),
`satellites` (`libspl_<prefix>.so`), `libraries` (configured), `preload`
(`LD_PRELOAD`). `resolution` owns their order and the `builtin-only` mode;
`configured.Providers` answers for a whole configuration; `suggest` ("did you
mean"), `signatures` (DWARF, batched), `fingerprint` (what kept answers depend
on), `listings` and `deferred_index` serve it; `wrapper_libraries` finds the library
built from a wrapper spec.
"""

from .configured import Providers
from .deferred_index import DeferredIndex, index_for_config
from .manifest import ManifestEntryCheck
from .protocol import ProviderStep, SymbolProvider
from .runtime_library import RUNTIME_LIBRARY_NAME

__all__ = ["RUNTIME_LIBRARY_NAME", "DeferredIndex", "ManifestEntryCheck", "ProviderStep", "Providers",
           "SymbolProvider", "index_for_config"]
