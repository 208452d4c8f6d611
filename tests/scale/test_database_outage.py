"""The tracker database unreachable for 30 seconds (issue 9, section 3).

A TCP proxy in this test stands between Rasa and PostgreSQL (the machine's own PostgreSQL is never
stopped): it cuts every connection and refuses new ones for OUTAGE_SECONDS, then comes back.

By default Rasa wraps every tracker store in a FailSafeTrackerStore: a read error becomes an empty
tracker (a silent fresh conversation: the customer is asked to verify again) and a write error
falls back to an in-memory store on that worker. Ours refuses both (bot/rasa_ext/tracker_store.py),
so the failed turn gets a kind message (bot/channels/guard.py) and nothing is written for it.

Asserted: each message during the outage gets a kind reply within KIND_REPLY_WITHIN seconds; no
event is written for the conversation during the outage; afterwards every earlier user turn is
there exactly once, the customer is still verified, and the next turn gets a normal answer.
"""
from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.e2e.servers import ROOT, free_port
from tests.scale.cluster import make_cluster, user_texts
from tests.scale.services import REDIS_URL, fresh_database, required

# The issue says 30 seconds; outside CI the duration may be shortened for a quick local run.
OUTAGE_SECONDS = 30.0 if required() else float(os.environ.get("BETAALHULP_OUTAGE_SECONDS") or 30.0)
KIND_REPLY_WITHIN = 10.0
MESSAGES_DURING_OUTAGE = ("ik ben het vergeten door drukte", "hallo? ben je er nog?", "wat moet ik betalen?")


class TcpProxy:
    """A loopback TCP proxy on its own event loop thread that can cut and restore the line."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tcp-proxy", daemon=True)
        self.server: asyncio.AbstractServer | None = None
        self.transports: set = set()
        self.connections = 0

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=15)

    def start(self) -> TcpProxy:
        self.thread.start()
        self._call(self._listen())
        return self

    def cut(self) -> None:
        """Every open connection is reset and new ones are refused (nothing listens)."""
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._listen())

    def stop(self) -> None:
        self._call(self._cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for transport in list(self.transports):
            transport.abort()
        self.transports.clear()

    async def _serve(self, client_reader, client_writer) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self.connections += 1
        pair = {client_writer.transport, upstream_writer.transport}
        self.transports |= pair

        async def pipe(reader, writer) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.transport.abort()

        await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))
        self.transports -= pair


def _kind_texts() -> set[str]:
    responses = yaml.safe_load(Path(ROOT / "domain" / "core.yml").read_text())["responses"]
    return {variant["text"] for name in ("utter_something_went_wrong", "utter_still_working")
            for variant in responses[name]}


def _text(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def _stored(engine, conversation_id: str) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT id, type_name, timestamp, action_name FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": conversation_id}).all()


def test_tracker_database_outage_gives_kind_messages_and_loses_nothing(postgres, redis_server, tmp_path):
    pg = make_url(os.environ.get("BETAALHULP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"))
    proxy = TcpProxy(pg.host or "127.0.0.1", pg.port or 5432).start()
    with fresh_database("betaalhulp_data") as data_url, fresh_database("betaalhulp_tracker") as tracker_url:
        direct = create_engine(tracker_url, future=True)  # our own view of the truth, not via the proxy
        proxied_url = make_url(tracker_url).set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False)
        cluster = make_cluster(tmp_path, database_url=data_url, tracker_url=proxied_url, redis_url=REDIS_URL)
        kind = _kind_texts()
        try:
            cluster.start_actions()
            port = cluster.launch_rasa()
            cluster.wait_rasa(port)
            sender = f"outage-{uuid.uuid4().hex[:8]}"
            conversation = f"rest:{sender}"
            before_outage = ["hoi", "mijn klantnummer is 100001", "12-04-1988"]
            for message in before_outage:
                assert cluster.say(port, sender, message), f"no reply to {message!r}"
            before = cluster.tracker(port, sender)
            assert before["slots"]["verified"] is True, "the demo customer did not verify"
            assert proxy.connections > 0, "Rasa does not reach the tracker database through the proxy"
            stored_before = _stored(direct, conversation)

            proxy.cut()
            cut_at = time.monotonic()
            print(f"\n[outage] proxy cut for {OUTAGE_SECONDS:.0f} s")
            timings = []
            for message in MESSAGES_DURING_OUTAGE:
                started = time.monotonic()
                replies = cluster.say(port, sender, message, timeout=60)
                took = time.monotonic() - started
                timings.append(took)
                reply = _text(replies)
                print(f"[outage] t+{started - cut_at:4.1f} s {message!r} -> {took:.2f} s: {reply!r}")
                assert reply.strip(), f"silence during the outage for {message!r}"
                assert reply in kind, f"not the kind message during the outage: {reply!r}"
                assert took <= KIND_REPLY_WITHIN, f"kind message after {took:.1f} s"
                time.sleep(min(5.0, max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)) / 2))
            assert _stored(direct, conversation) == stored_before, "events were written during the outage"
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))
            assert _stored(direct, conversation) == stored_before, "events were written during the outage"
            proxy.restore()
            restored_wall = time.time()
            print(f"[outage] restored after {time.monotonic() - cut_at:.1f} s; "
                  f"kind replies in {', '.join(f'{t:.2f}' for t in timings)} s (max {max(timings):.2f} s)")

            # The conversation goes on where it was: verified, the cause question answered.
            started = time.monotonic()
            reply = _text(cluster.say(port, sender, "ik was het gewoon vergeten"))
            print(f"[outage] first turn after restore {time.monotonic() - started:.2f} s: {reply!r}")
            assert reply.strip() and reply not in kind, f"no normal answer after the outage: {reply!r}"
            after = cluster.tracker(port, sender)
            assert after["slots"]["verified"] is True and after["slots"]["customer_id"]
            assert after["slots"]["requested_slot"] != "customer_number"
            texts = user_texts(after)
            sent_during = [t for t in texts if t in MESSAGES_DURING_OUTAGE]
            assert not sent_during, f"turns from the outage were stored: {sent_during}"
            # Every earlier turn exactly once, in order (the birth date is stored as a placeholder).
            assert texts[:2] == before_outage[:2] and len(texts) == len(before_outage) + 1, texts
            assert texts[-1] == "ik was het gewoon vergeten"
            # Nothing written between the cut and the restore, no second session started.
            stored_after = _stored(direct, conversation)
            assert stored_after[:len(stored_before)] == stored_before
            new_rows = stored_after[len(stored_before):]
            assert new_rows and all(row.timestamp >= restored_wall - 1 for row in new_rows), new_rows
            assert not [row for row in new_rows if row.type_name == "session_started"], "a fresh session was saved"
        finally:
            cluster.stop()
            direct.dispose()
            proxy.stop()


def test_failsafe_wrapper_passes_store_errors_on_instead_of_inventing_trackers():
    """No server needed: a read error is not an empty tracker, a write error is not kept in memory."""
    import pytest
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_ext.tracker_store import TrackerStoreUnavailable, refuse_fallbacks

    class Unreachable(InMemoryTrackerStore):
        async def retrieve(self, sender_id):
            raise ConnectionRefusedError("database unreachable")

        async def save(self, tracker):
            raise ConnectionRefusedError("database unreachable")

    wrapper = FailSafeTrackerStore(Unreachable(Domain.empty()))
    assert asyncio.run(wrapper.retrieve("rest:x")) is None  # Rasa's default: a silent fresh conversation
    refuse_fallbacks(wrapper)
    with pytest.raises(TrackerStoreUnavailable):
        asyncio.run(wrapper.get_or_create_tracker("rest:x"))
    with pytest.raises(TrackerStoreUnavailable):
        asyncio.run(wrapper.save(DialogueStateTracker("rest:x", [])))
    assert wrapper._fallback_tracker_store is None, "the turn was kept in one worker's memory"
