"""uvicorn's httptools protocol with the header guard of api.connections (apart: it imports
httptools, which some platforms have no build of)."""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.connections import HeaderGuard


class GuardedHttpToolsProtocol(HeaderGuard, HttpToolsProtocol):
    _answered_before_body_ended = False

    def data_received(self, data: bytes) -> None:
        awaiting = self._header_timer is not None
        super().data_received(data)
        # Counted after the parser has seen the bytes: a piece holding the last header lines and the
        # start of the body is not taken for an oversized header. The parser keeps at most one
        # piece (uvicorn reads 64 KB at a time) beyond the limit.
        if awaiting and self._header_timer is not None:
            self._count_header_bytes(len(data))

    def on_headers_complete(self) -> None:
        self._stop_header_clock()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self._answered_before_body_ended and not self.transport.is_closing():
            self._answered_before_body_ended = False
            self._await_headers()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The keep-alive clock runs when no pipelined request was started: the next one is awaited,
        # once the rest of this request's body (answered early, e.g. 401) has gone by.
        if self.timeout_keep_alive_task is not None:
            if self.cycle.more_body:
                self._answered_before_body_ended = True
            else:
                self._await_headers()
