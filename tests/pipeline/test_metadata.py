import pytest

from meco.pipeline.metadata import UrlMetadata, host_hash, parse_host
from meco.shards import MetadataError, PrefixTemplate, default_template


@pytest.mark.parametrize(
    "url, host",
    [
        ("https://en.wikipedia.org/wiki/Metadata", "en.wikipedia.org"),
        ("https://WWW.Example.ORG/Page", "www.example.org"),
        ("http://example-shop.com:8080/item?id=3", "example-shop.com"),
        ("http://user:pw@forum.example.net/t/12", "forum.example.net"),
        ("http://[2001:db8::1]:8080/status", "2001:db8::1"),
        ("https://bücher.de/romane", "bücher.de"),
        ("https://xn--bcher-kva.de/", "xn--bcher-kva.de"),
        ("en.wikipedia.org/wiki/X", "en.wikipedia.org"),
        ("//cdn.example.com/a.js", "cdn.example.com"),
        ("https://example.com./x", "example.com"),
        ("  https://padded.example.com/  ", "padded.example.com"),
        ("http://[::1/oops", None),
        ("not a url at all", None),
        ("https:///path-only", None),
        ("", None),
        # a host only from a URL that has one
        ("/relative/path", None),
        ("./page.html", None),
        ("?q=1", None),
        ("relative/path/page.html", None),
        ("javascript:alert(1)", None),
        ("mailto:someone@example.com", None),
        ("data:text/html,<b>example.com</b>", None),
        ("tel:+1-555-0100", None),
        ("urn:isbn:0451450523", None),
        ("http:\\\\evil.com", None),
        ("http:/evil.com", None),
        ("http://evil.com\\@good.com", None),
        ("example.com:8080/x", "example.com"),
        ("http://localhost:8000/", "localhost"),
        ("192.168.0.1/admin", "192.168.0.1"),
        # no control, format or separator character in a host
        ("http://ex\x00ample.com/", None),
        ("http://ex\tample.com/", None),
        ("http://ex\u200bample.com/", None),
        ("http://ex\u202eample.com/", None),
        ("http://ex\ud800ample.com/", None),
    ],
)
def test_parse_host(url, host):
    assert parse_host(url) == host


def test_url_kinds_offline():
    values, reason = UrlMetadata(["host", "domain", "suffix", "url", "hash"], hash_salt="s").extract(
        "https://User@News.BBC.co.uk:443/sport/football?x=1#top"
    )
    assert reason is None
    assert values == {
        "host": "news.bbc.co.uk",
        "domain": "bbc.co.uk",
        "suffix": "co.uk",
        "url": "User@News.BBC.co.uk:443/sport/football?x=1#top",
        "hash": host_hash("news.bbc.co.uk", "s"),
    }


def test_domain_of_an_ip_host_is_the_host_and_it_has_no_suffix():
    values, _ = UrlMetadata(["domain", "suffix"]).extract("http://192.168.0.1/admin")
    assert values == {"domain": "192.168.0.1"}


@pytest.mark.parametrize(
    "url, reason",
    [
        (None, "no_url"),
        ("  ", "no_url"),
        (42, "non_string_url"),
        ("http://", "unparsable_url"),
        ("mailto:x@example.com", "unparsable_url"),
        ("/relative/path", "unparsable_url"),
    ],
)
def test_missing_metadata_reasons(url, reason):
    assert UrlMetadata(["host"]).extract(url) == ({}, reason)


def test_hash_is_stable_salted_and_host_based():
    assert host_hash("en.wikipedia.org", "") == host_hash("en.wikipedia.org", "")
    assert host_hash("en.wikipedia.org", "a") != host_hash("en.wikipedia.org", "b")
    assert len(host_hash("en.wikipedia.org", "")) == 16
    values = [
        UrlMetadata(["hash"], "k").extract(u)[0]["hash"]
        for u in ("https://EN.wikipedia.org/a", "http://en.wikipedia.org:80/b")
    ]
    assert values[0] == values[1]


def test_template_drops_lines_whose_value_is_missing():
    t = PrefixTemplate(default_template(["host", "topic"]))
    assert t.text == "URL: {host}\nTopic: {topic}\n\n"
    assert t.render({"host": "en.wikipedia.org", "topic": "History"}) == "URL: en.wikipedia.org\nTopic: History\n\n"
    assert t.render({"host": "en.wikipedia.org"}) == "URL: en.wikipedia.org\n\n"
    assert t.render({"topic": "History"}) == "Topic: History\n\n"
    assert t.render({}) == ""


def test_template_must_only_name_chosen_kinds():
    with pytest.raises(MetadataError, match="topic"):
        PrefixTemplate("URL: {host}\nTopic: {topic}\n\n").check(["host"])
    with pytest.raises(MetadataError, match="no metadata field"):
        PrefixTemplate("just text\n\n").check(["host"])


def test_no_control_character_reaches_a_url_value():
    values, _ = UrlMetadata(["url"]).extract("https://example.com/a\x00b\x1fc\u2028d\u202ee\tf g")
    assert values == {"url": "example.com/abcdefg"}


def test_no_control_character_reaches_a_prefix_from_any_kind():
    from datatrove.data import Document

    from meco.pipeline.prefix import PREFIX_KEY, AttachMetadataPrefix

    class Labels:  # a topic model whose label carries control characters (fastText labels are arbitrary bytes)
        def topic(self, text):
            return "Hist\x00ory\n\x85\u2029"

    step = AttachMetadataPrefix(["url", "topic"], "URL: {url}\nTopic: {topic}\n\n", topic=Labels())
    docs = [Document(text="t", id="0", metadata={"url": "http://ex.com/p\x07"})]
    (doc,) = step.run(docs)
    assert doc.metadata[PREFIX_KEY] == "URL: ex.com/p\nTopic: History\n\n"
    assert step.stats.stats["repaired.metadata_control_characters_removed"].total == 1
