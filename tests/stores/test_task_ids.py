"""Generated task ids: 26 lowercase base32 characters of 128 random bits, never
handed out twice, not even by a forked child and its parent."""

from __future__ import annotations

import base64
import os
import re

from stores import validation


def test_ids_are_base32_of_128_bits_and_unique():
    ids = [validation.new_task_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    for task_id in ids[:500]:
        assert re.fullmatch(r"[a-z2-7]{26}", task_id)
        raw = base64.b32decode(task_id.upper() + "======")
        assert len(raw) == 16 and base64.b32encode(raw).decode().lower()[:26] == task_id


def test_a_forked_child_never_repeats_its_parents_ids():
    validation.new_task_id()  # the parent holds unread random bytes at the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, then exit at once
        os.write(write, " ".join(validation.new_task_id() for _ in range(100)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = set(os.read(read, 1 << 16).decode().split())
    os.close(read)
    parent = {validation.new_task_id() for _ in range(100)}
    assert len(child) == 100 and not child & parent
