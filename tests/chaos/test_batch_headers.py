"""batch_headers.parse_batches on hand-made Fetch records: v2 headers read, a batch cut off by
the response's size left out. No broker."""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batch_headers  # noqa: E402


def batch(base, last_delta, producer_id, producer_epoch, base_sequence, body=b"r" * 10):
    header = batch_headers.HEADER.pack(base, 0, 3, 2, 0, 0, last_delta, 0, 0, producer_id,
                                       producer_epoch, base_sequence, last_delta + 1)
    length = len(header) - batch_headers.LOG_OVERHEAD + len(body)
    return struct.pack(">qi", base, length) + header[batch_headers.LOG_OVERHEAD:] + body


def test_whole_batches_are_read_with_their_writer():
    data = batch(0, 2, 7, 0, 0) + batch(3, 0, 7, 1, 0)
    assert batch_headers.parse_batches(data) == [(0, 2, 7, 0, 0), (3, 3, 7, 1, 0)]


def test_a_batch_cut_off_by_the_response_size_is_left_out():
    data = batch(0, 2, 7, 0, 5) + batch(3, 0, 7, 1, 0)[:-4]
    assert batch_headers.parse_batches(data) == [(0, 2, 7, 0, 5)]
    assert batch_headers.parse_batches(b"\x00" * 20) == []
