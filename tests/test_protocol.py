"""Wire protocol: canonical bytes (RFC 8785 with exact integers), MACs, validation."""
from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.feeds import protocol as P

KEY = bytes(range(32))


@pytest.mark.parametrize("value, text", [
    (1e21, "1e+21"), (1e20, "100000000000000000000"), (1e-7, "1e-7"), (1e-6, "0.000001"),
    (0.1, "0.1"), (1.0, "1"), (-2.5, "-2.5"), (5e-324, "5e-324"), (1.5e22, "1.5e+22"),
    (1.7976931348623157e308, "1.7976931348623157e+308"), (4.5e-5, "0.000045"), (0.0, "0"), (-0.0, "0"),
])
def test_float_canonical_form_is_ecmascript(value, text):
    assert P.canonical_bytes({"x": value}) == b'{"x":' + text.encode() + b"}"


def test_rfc8785_example_ordering_and_exact_int64():
    obj = {"b": [1, True, None, "é"], "a": {"z": 1, "aa": 2}, "t_ns": 1_704_067_200_123_456_789, "mac": "ignored"}
    assert P.canonical_bytes(obj) == '{"a":{"aa":2,"z":1},"b":[1,true,null,"é"],"t_ns":1704067200123456789}'.encode()


def test_mac_is_independent_of_wire_field_order_and_whitespace():
    msg = P.sign(KEY, P.message("pulse", "S001", 5, 1_700_000_000_000_000_000, t_ns=1, snr_db=12.25))
    shuffled = dict(reversed(list(msg.items())))
    wire = json.dumps(shuffled, indent=2).replace("\n", " ").encode()
    assert P.verify_mac(KEY, P.parse_line(wire))


def test_mac_detects_any_change():
    msg = P.sign(KEY, P.message("pulse", "S001", 5, 1_700_000_000_000_000_000, t_ns=1))
    for field, value in [("seq", 6), ("t_ns", 2), ("sensor", "S002"), ("sent_ns", 1)]:
        assert not P.verify_mac(KEY, {**msg, field: value})
    assert not P.verify_mac(b"x" * 32, msg)
    assert not P.verify_mac(KEY, {k: v for k, v in msg.items() if k != "mac"})


@settings(max_examples=200, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4), max_leaves=20))
def test_canonical_bytes_survive_a_json_round_trip(value):
    obj = {"v": value}
    again = json.loads(P.encode_line(obj))
    assert P.canonical_bytes(again) == P.canonical_bytes(obj)


@pytest.mark.parametrize("line, reason", [
    (b"\xff\xfe", "bad_json"), (b"{", "bad_json"), (b"[1,2]", "bad_json"), (b'{"a":1,"a":2}', "bad_json"),
    (b'{"x": NaN}', "bad_json"), (b'{"x": Infinity}', "bad_json"), (b"1" * (P.MAX_LINE_BYTES + 1), "oversize"),
])
def test_parse_line_rejects(line, reason):
    with pytest.raises(P.ProtocolError) as exc:
        P.parse_line(line)
    assert exc.value.reason == reason


def _base(**over):
    m = P.message("pulse", "S001", 1, 10, t_ns=5)
    m.update(over)
    return m


@pytest.mark.parametrize("over, reason, match", [
    ({"v": 2}, "bad_version", "v must be 1"),
    ({"v": True}, "bad_version", "v must be 1"),
    ({"type": "party"}, "bad_schema", "type must be one of"),
    ({"sensor": "S 1"}, "bad_schema", "sensor must match"),
    ({"sensor": 5}, "bad_schema", "sensor must match"),
    ({"seq": -1}, "bad_schema", "seq out of range"),
    ({"seq": 2**63}, "bad_schema", "seq out of range"),
    ({"seq": 1.0}, "bad_schema", "seq must be an integer"),
    ({"seq": True}, "bad_schema", "seq must be an integer"),
    ({"sent_ns": "10"}, "bad_schema", "sent_ns must be an integer"),
])
def test_envelope_rejects(over, reason, match):
    with pytest.raises(P.ProtocolError, match=match) as exc:
        P.check_envelope(_base(**over))
    assert exc.value.reason == reason


@pytest.mark.parametrize("type_, fields, match", [
    ("pulse", {}, "t_ns must be an integer"),
    ("pulse", {"t_ns": 1, "snr_db": 1e308}, "snr_db out of range"),
    ("pulse", {"t_ns": 1, "snr_db": "loud"}, "snr_db must be a number"),
    ("pulse", {"t_ns": 1, "features": [1]}, "features must be an object"),
    ("pulse", {"t_ns": 1, "features": {"a": "b"}}, "a must be a number"),
    ("health", {"gps_lock": 1}, "gps_lock must be true or false"),
    ("health", {"gps_lock": True, "battery_pct": 101}, "battery_pct out of range"),
    ("audio", {"clip": "c", "count": 0}, "count out of range"),
    ("audio", {"clip": "c", "count": 2, "index": 2}, "index out of range"),
    ("hello", {"position": {"x_m": 1}}, "y_m must be a number"),
])
def test_body_rejects(type_, fields, match):
    env = P.Envelope(type_, "S001", 1, 10)
    with pytest.raises(P.ProtocolError, match=match) as exc:
        P.check_body(env, fields)
    assert exc.value.reason == "bad_schema"


def test_audio_chunks_reassemble_and_stay_under_line_limit():
    data = bytes(range(256)) * 5000
    chunks = P.audio_chunks("c1", data, start_ns=1, sample_rate_hz=16000, chunk_bytes=300_000)
    assert [c["index"] for c in chunks] == [0, 1, 2, 3, 4]
    assert b"".join(P.decode_audio_chunk(c) for c in chunks) == data
    for c in chunks:
        line = P.encode_line(P.sign(KEY, P.message("audio", "S001", 1, 1, **c)))
        assert len(line) <= P.MAX_LINE_BYTES
    with pytest.raises(ValueError, match="1 MiB"):
        P.audio_chunks("c1", data, start_ns=1, sample_rate_hz=16000, chunk_bytes=900_000)


def test_no_float_nan_can_be_signed():
    with pytest.raises(ValueError, match="NaN"):
        P.canonical_bytes({"x": math.nan})


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3), max_leaves=12), max_size=6))
def test_fast_canonical_path_equals_the_reference(obj):
    try:
        ref = P.canonical_bytes_reference(obj)
    except UnicodeEncodeError:  # lone surrogates cannot be UTF-8 either way
        with pytest.raises(UnicodeEncodeError):
            P.canonical_bytes(obj)
        return
    assert P.canonical_bytes(obj) == ref
