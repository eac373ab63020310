"""Every Bot API method of the local server, registered by importing the modules that define
them; the server and the webhook sender call methods through here."""

from bot.localapi import forum, inline, media, methods  # noqa: F401  (they register methods)
from bot.localapi.methods import FLOOD_LIMITED
from bot.localapi.registry import METHODS, Context, Params, Upload, call

__all__ = ["FLOOD_LIMITED", "METHODS", "Context", "Params", "Upload", "call"]
