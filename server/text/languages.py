"""The English names of the languages posts are most often written in, by ISO 639-1 code."""

from __future__ import annotations

_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
          "pt": "Portuguese", "nl": "Dutch", "ja": "Japanese", "zh": "Chinese", "ko": "Korean",
          "pl": "Polish", "ru": "Russian", "uk": "Ukrainian", "sv": "Swedish", "fi": "Finnish",
          "da": "Danish", "nb": "Norwegian Bokmål", "cs": "Czech", "el": "Greek", "tr": "Turkish",
          "ar": "Arabic", "he": "Hebrew", "fa": "Persian", "hi": "Hindi", "ca": "Catalan", "eu": "Basque",
          "gl": "Galician", "cy": "Welsh", "ga": "Irish", "eo": "Esperanto"}


def language_name(code: str) -> str:
    """The language's name (with the region's code, as in `Portuguese (pt-BR)`), or the code itself
    when it is not one of the common ones named here."""
    base = code.split("-", 1)[0]
    if base not in _NAMES:
        return code
    return _NAMES[base] if base == code else f"{_NAMES[base]} ({code})"
