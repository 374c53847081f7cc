"""Proxy ownership, with a stand-in ``create_proxy`` (the browser module imports on CPython)."""

import pytest

from kaltura_avatar import browser


class StandInProxy:
    def __init__(self, fn):
        self.fn, self.destroyed = fn, False

    def __call__(self, *args):
        assert not self.destroyed, "called after destroy"
        return self.fn(*args)

    def destroy(self):
        if self.destroyed:
            raise RuntimeError("Object has already been destroyed")
        self.destroyed = True


def test_every_proxy_is_destroyed_once_at_teardown():
    made = []

    def create_proxy(fn):
        made.append(StandInProxy(fn))
        return made[-1]

    before = browser.live_proxies()
    owner = browser.Proxies(create_proxy)
    first = owner.create(lambda: 1)
    owner.create(lambda: 2)
    assert first() == 1 and len(owner) == 2 and browser.live_proxies() == before + 2
    owner.destroy_all()
    owner.destroy_all()  # idempotent
    assert all(p.destroyed for p in made) and len(owner) == 0 and browser.live_proxies() == before


def test_a_proxy_destroyed_elsewhere_does_not_break_teardown():
    owner = browser.Proxies(StandInProxy)
    proxy = owner.create(print)
    proxy.destroy()
    owner.destroy_all()
    assert proxy.destroyed


def test_the_package_imports_without_a_browser():
    with pytest.raises(ImportError):
        browser.Proxies().create(print)  # only the real create_proxy needs pyodide
