"""Open documents: pygls' TextDocument with a cheaper incremental edit.

pygls applies an incremental change by writing every line of the document
into a StringIO (about 20,000 writes for a 170 KB file, on every keystroke).
Here the change's offsets come from the line lengths (C-level sums) and the
text is spliced once. The result is the same string (columns past a line's
end clamp to its end, as pygls' slicing does), except where pygls' position
conversion puts a range's end before its start (a column past the end of a
last line without a newline): pygls then writes the text between twice, here
the range is empty.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types as lsp
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import TextDocument, Workspace


class SplicingTextDocument(TextDocument):
    def _apply_incremental_change(self, change: lsp.TextDocumentContentChangePartial) -> None:
        source = self.source
        lines = source.splitlines(True)
        rng = self._position_codec.range_from_client_units(lines, change.range)
        start_line, end_line = rng.start.line, rng.end.line
        if not (0 <= start_line <= end_line < len(lines)):
            super()._apply_incremental_change(change)  # past the end: pygls' own rules
            return
        head = sum(map(len, lines[:start_line]))
        start = head + min(max(rng.start.character, 0), len(lines[start_line]))
        end_head = head + sum(map(len, lines[start_line:end_line]))
        end = end_head + min(max(rng.end.character, 0), len(lines[end_line]))
        self._source = source[:start] + change.text + source[max(start, end):]


class SplicingWorkspace(Workspace):
    def _create_text_document(
        self, doc_uri: str, source: str | None = None, version: int | None = None, language_id: str | None = None
    ) -> TextDocument:
        return SplicingTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )


class SffiProtocol(LanguageServerProtocol):
    """The protocol whose workspace (created by pygls at `initialize`) makes
    SplicingTextDocuments."""

    @property  # type: ignore[override]
    def _workspace(self) -> Workspace | None:
        return self.__dict__.get("_sffi_workspace")

    @_workspace.setter
    def _workspace(self, workspace: Any) -> None:
        if isinstance(workspace, Workspace) and type(workspace) is Workspace:
            workspace.__class__ = SplicingWorkspace  # same layout, one method differs
        self.__dict__["_sffi_workspace"] = workspace
