"""What every autograd_lab widget shares: the lazy bundle, custom messages, the text repr."""
import anywidget
import traitlets

from . import _bundle


class Widget(anywidget.AnyWidget):
    """Base class. Subclasses set ``_kind`` (the ES module the browser renders) and ``text()``."""

    _kind = ""
    # a trait (not a class attribute) so the loader text can carry the bundle hash of this install
    _esm = traitlets.Unicode().tag(sync=True)
    summary = traitlets.Unicode("").tag(sync=True)

    @traitlets.default("_esm")
    def _default_esm(self):
        return _bundle.loader_esm(self._kind)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.on_msg(self._on_custom_msg)

    # ---- messages from the browser ----
    def _on_custom_msg(self, _widget, content, _buffers):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "agl:bundle-request":
            self._send_bundle(content.get("hash"))
        elif kind == "agl:action":
            self._on_action(str(content.get("action", "")))

    def _send_bundle(self, wanted):
        data, digest = _bundle.bundle()
        if data is None:
            self.send({"type": "agl:bundle", "hash": wanted, "error": _bundle.missing_message()})
        elif wanted != digest:
            # the page runs a loader from another build (the package was rebuilt under a running
            # kernel): say so rather than hand it code its placeholders don't match
            self.send({"type": "agl:bundle", "hash": wanted,
                       "error": "the widget bundle changed since this widget was created: run the cell again"})
        else:
            self.send({"type": "agl:bundle", "hash": digest}, buffers=[memoryview(data)])
            _bundle.sent += 1

    def _on_action(self, action):
        """Buttons and keys in the browser (step, run, reset ...)."""

    # ---- text ----
    def text(self):
        """The widget's state as deterministic text (its repr, and what a front end without JS shows)."""
        raise NotImplementedError

    def _update_summary(self):
        self.summary = self.text()

    def __repr__(self):
        return self.text()

    def picture(self):
        """An SVG of the widget's state for front ends without its code ("" when there is none)."""
        return ""

    def _repr_mimebundle_(self, **kwargs):
        data = {"text/plain": self.text()}
        static = self.picture()
        if static:
            data["image/svg+xml"] = static
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle:
            widget_data, metadata = bundle
            widget_data = dict(widget_data)
            widget_data.update(data)
            return widget_data, metadata
        return data, {}
