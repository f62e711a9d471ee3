"""``sokka-tui`` ignores a second stop signal while it cleans up after the console,
and gives every stop signal back the handler it had once it is done."""

from __future__ import annotations

import signal

from sokka_tui import cli
from sokka_tui.stop_signals import STOP_SIGNALS, clean_up_uninterrupted


def test_main_leaves_the_callers_signal_handlers_as_they_were(tmp_path, monkeypatch):
    def mine(number, frame):  # a caller's own handler (pytest's, say)
        raise AssertionError("not called")

    seen_after_exit = {}

    class ExitedApp:
        def run(self):
            pass

    monkeypatch.setattr("sokka_tui.app.build_app", lambda store, **kwargs: ExitedApp())
    saved = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    try:
        for number in STOP_SIGNALS:
            signal.signal(number, mine)
        real_close = cli.stores.open_store

        def open_store(url, **options):
            store = real_close(url, **options)
            original = store.close

            def close():  # the clean-up: a stop signal now must not cut it short
                seen_after_exit.update({number: signal.getsignal(number) for number in STOP_SIGNALS})
                original()

            store.close = close
            return store

        monkeypatch.setattr(cli.stores, "open_store", open_store)
        assert cli.main([f"sqlite://{tmp_path}/x.db"]) == 0
        assert seen_after_exit == {number: signal.SIG_IGN for number in STOP_SIGNALS}
        assert all(signal.getsignal(number) is mine for number in STOP_SIGNALS)
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def test_clean_up_uninterrupted_restores_even_after_an_error():
    before = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    try:
        with clean_up_uninterrupted() as ignore:
            ignore()
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
            raise RuntimeError("the console failed")
    except RuntimeError:
        pass
    assert {number: signal.getsignal(number) for number in STOP_SIGNALS} == before
