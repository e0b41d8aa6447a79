"""Metadata values drawn from a document's URL (and text), and the prefix template that renders them.

Kinds: `host` (the paper's "URL": en.wikipedia.org), `domain` (registered domain, wikipedia.org),
`suffix` (public suffix, org), `url` (full URL without scheme), `hash` (salted hash of the host) and
`topic` (fastText label, see topic.py).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from functools import cached_property, lru_cache
from urllib.parse import urlsplit

from ..shards import KINDS

URL_KINDS = frozenset(KINDS) - {"topic"}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_ANY_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_HOST_PORT = re.compile(r"^[^/?#:@\\]+:\d+(?:[/?#]|$)")  # "example.com:8080/x": a host and port, no scheme
_AUTHORITY = re.compile(r"[^/?#]*")
_HOST_OK = re.compile(r"^[^\s/\\?#@]+$")
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
MAX_CACHED_AUTHORITY = 256  # characters; a DNS name has at most 253


def parse_host(url: str) -> str | None:
    """The lower-cased hostname without scheme, userinfo, port or trailing dot; None if there is none.

    Only URLs with an authority have a host: `https://host/...`, `//host/...`, or a scheme-less `host.tld/...`
    (a dotted name or an IP address). Relative references (`/path`, `./x`, `?q`), schemes without an
    authority (`mailto:`, `javascript:`, `data:`, `tel:`, `urn:`) and `http:\\evil.com` (browsers read the
    backslashes as slashes, urllib does not) give None, as does an authority holding a backslash or any
    control, format or separator character. IPv6 literals come back without brackets (as urllib gives them);
    IDN hosts stay as written.
    """
    url = url.strip()
    scheme = _ANY_SCHEME.match(url)
    schemeless = False
    if scheme and not _HOST_PORT.match(url):
        if not url.startswith("//", scheme.end()):
            return None
    elif not url.startswith("//"):
        if url.startswith(("/", "\\", ".", "?", "#")):
            return None
        url, schemeless = "//" + url, True  # "en.wikipedia.org/wiki/X" has no scheme but is still a URL
    authority = _AUTHORITY.match(url, url.index("//") + 2)[0]
    # cached, since the documents of one site share it; a long one (user info, junk) is never a key
    host = _cached_host_of(authority) if len(authority) <= MAX_CACHED_AUTHORITY else _host_of(authority)
    if host is None or (schemeless and "." not in host and not _is_ip(host)):
        return None
    return host


def _host_of(authority: str) -> str | None:
    """The host of a URL's authority (the text urllib takes as its netloc), or None."""
    if "\\" in authority or not authority.isprintable():
        return None
    try:
        host = urlsplit("//" + authority).hostname
    except ValueError:  # e.g. "http://[::1" (unbalanced IPv6 bracket)
        return None
    host = (host or "").rstrip(".")
    return host if host and _HOST_OK.match(host) else None


# urllib's parsing is most of what a document's metadata costs; 16k entries of at most 256 characters take
# under 8 MiB (4 MiB for ordinary hosts), against a worker's 350 MiB
_cached_host_of = lru_cache(maxsize=1 << 14)(_host_of)


def url_without_scheme(url: str) -> str:
    """The URL as written, minus its scheme; whitespace (never valid in a URL) and control or format
    characters are dropped, so the prefix stays on one visible line."""
    return _SCHEME.sub("", "".join(printable(url).split()), count=1)


def printable(value: str) -> str:
    """`value` without control, format, surrogate and line or paragraph separator characters, none of which
    belongs in a prefix (a NUL, a bidi override, a raw newline that would break the template's lines)."""
    if value.isprintable():
        return value
    return "".join(c for c in value if unicodedata.category(c) not in _INVISIBLE)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_hash(host: str, salt: str) -> str:
    """16 hex digits of a keyed BLAKE2b of the host: stable across runs and machines, no global table."""
    return hashlib.blake2b(host.encode(), key=salt.encode(), digest_size=8).hexdigest()


class UrlMetadata:
    """Extracts the URL-derived kinds. tldextract runs on its bundled suffix list: never a download."""

    def __init__(self, kinds: list[str], hash_salt: str = ""):
        self.kinds = [k for k in kinds if k in URL_KINDS]
        self.hash_salt = hash_salt

    @cached_property
    def _tld(self):
        import tldextract

        return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    def extract(self, url) -> tuple[dict[str, str], str | None]:
        """Values for each URL kind, and the reason when there are none (`no_url`, `unparsable_url`)."""
        if not self.kinds:
            return {}, None
        if url is None or (isinstance(url, str) and not url.strip()):
            return {}, "no_url"
        if not isinstance(url, str):
            return {}, "non_string_url"
        host = parse_host(url)
        if host is None:
            return {}, "unparsable_url"
        values = {}
        for kind in self.kinds:
            if kind == "host":
                values[kind] = host
            elif kind == "url":
                values[kind] = url_without_scheme(url)
            elif kind == "hash":
                values[kind] = host_hash(host, self.hash_salt)
            else:
                parts = self._tld.extract_str(host)
                if kind == "domain":
                    values[kind] = parts.top_domain_under_public_suffix or host  # IPs, "localhost"
                elif parts.suffix:
                    values[kind] = parts.suffix
        return values, None
