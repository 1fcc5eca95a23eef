"""Signed checkpoints and their keys: format, signatures, key files, rotation, export."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from tracegraph.schema.checkpoint import (
    BadSignature,
    Checkpoint,
    CheckpointSigner,
    MalformedCheckpoint,
    UnknownKey,
    log_origin,
    open_checkpoint,
)
from tracegraph.schema.checkpoint_keys import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEYS_FILE,
    SIGNING_KEY_ENV,
    VERIFY_KEYS_ENV,
    KeyConfigError,
    KeyManager,
)
from tracegraph.schema.merkle import leaf_hash

STAMP = "2026-12-04T16:00:00.000000Z"


def checkpoint(size: int = 3) -> Checkpoint:
    return Checkpoint(log_origin("tracegraph", "tenant-a"), size, leaf_hash(b"r"), STAMP)


def test_text_is_a_c2sp_checkpoint_and_round_trips() -> None:
    cp = checkpoint()
    text = cp.text()
    origin, size, root, stamp, end = text.split("\n")
    assert (origin, size, stamp, end) == ("tracegraph/tenant-a", "3", f"timestamp {STAMP}", "")
    assert base64.b64decode(root) == cp.root
    assert Checkpoint.from_text(text) == cp


@pytest.mark.parametrize("text, field", [
    ("o\n03\nAAAA\ntimestamp x\n", "tree size"),
    ("o\n3\n" + base64.b64encode(bytes(32)).decode() + "\n", "4"),
    ("o\n3\n" + base64.b64encode(bytes(31)).decode() + f"\ntimestamp {STAMP}\n", "31 bytes"),
    ("o\n3\n" + base64.b64encode(bytes(32)).decode() + "\ntimestamp yesterday\n", "timestamp"),
    ("o o\n3\n" + base64.b64encode(bytes(32)).decode() + f"\ntimestamp {STAMP}\n", "origin"),
])
def test_malformed_text_names_the_field(text: str, field: str) -> None:
    with pytest.raises(MalformedCheckpoint, match=field):
        Checkpoint.from_text(text)


def test_signature_verifies_and_any_change_breaks_it() -> None:
    signer = CheckpointSigner.from_seed(bytes(32))
    note = signer.sign(checkpoint())
    assert open_checkpoint(note, [signer.key]).checkpoint == checkpoint()
    with pytest.raises(BadSignature):
        open_checkpoint(note.replace("\n3\n", "\n4\n"), [signer.key])
    other = CheckpointSigner.from_seed(bytes([1]) * 32)
    with pytest.raises(UnknownKey, match=signer.key.note_key_id("tracegraph/tenant-a").hex()):
        open_checkpoint(note, [other.key])
    # a second signature by an unknown key (a witness, say) is ignored
    extra = other.sign(checkpoint()).split("\n\n")[1]
    assert open_checkpoint(note + extra, [signer.key]).key == signer.key
    with pytest.raises(MalformedCheckpoint, match="blank line"):
        open_checkpoint(checkpoint().text(), [signer.key])
    with pytest.raises(MalformedCheckpoint, match="at most 64"):
        open_checkpoint(note + extra * 64, [signer.key])


def test_key_file_is_created_private_outside_the_data_directory(tmp_path: Path) -> None:
    keys = tmp_path / "config" / "keys"
    manager = KeyManager.load(keys, data_dir=tmp_path / "data", environ={})
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert stat.S_IMODE((keys / PRIVATE_KEY_FILE).stat().st_mode) == 0o600
    again = KeyManager.load(keys, data_dir=tmp_path / "data", environ={})
    assert again.signer.key == manager.signer.key
    note = again.sign(checkpoint())
    assert open_checkpoint(note, manager.verification_keys).key.key_id == manager.signer.key_id


@pytest.mark.parametrize("inside", ["data/keys", "data"])
def test_key_directory_inside_the_data_directory_is_refused(tmp_path: Path, inside: str) -> None:
    with pytest.raises(KeyConfigError, match="overlaps the data directory"):
        KeyManager.load(tmp_path / inside, data_dir=tmp_path / "data", environ={})


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    KeyManager.load(tmp_path / "keys", environ={})
    (tmp_path / "keys" / PRIVATE_KEY_FILE).chmod(0o644)
    with pytest.raises(KeyConfigError, match="0644"):
        KeyManager.load(tmp_path / "keys", environ={})


def test_missing_key_without_create_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match=SIGNING_KEY_ENV):
        KeyManager.load(tmp_path / "keys", environ={}, create=False)


def test_rotation_keeps_old_public_keys_and_signs_with_the_new(tmp_path: Path) -> None:
    manager = KeyManager.load(tmp_path / "keys", environ={})
    old_note = manager.sign(checkpoint(3))
    old_id = manager.signer.key_id
    new_key = manager.rotate()
    assert manager.signer.key == new_key and new_key.key_id != old_id
    reloaded = KeyManager.load(tmp_path / "keys", environ={})
    assert reloaded.signer.key == new_key
    assert [k.key_id for k in reloaded.verification_keys] == [new_key.key_id, old_id]
    assert open_checkpoint(old_note, reloaded.verification_keys).key.key_id == old_id
    assert open_checkpoint(reloaded.sign(checkpoint(4)),
                           reloaded.verification_keys).key.key_id == new_key.key_id
    exported = reloaded.export_public_keys("tracegraph/tenant-a")
    assert [(e["key_id"], e["active"], e["retired_at"] is not None) for e in exported] == [
        (old_id, False, True), (new_key.key_id, True, False)]
    assert exported[1]["verifier_key"] == new_key.verifier_key("tracegraph/tenant-a")
    assert "BEGIN PUBLIC KEY" in exported[0]["pem"]
    assert (tmp_path / "keys" / PUBLIC_KEYS_FILE).exists()
    assert not (tmp_path / "keys" / (PRIVATE_KEY_FILE + ".new")).exists()


def test_a_rotation_cut_short_is_finished_or_dropped(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "keys"
    manager = KeyManager.load(keys, environ={})
    old_id = manager.signer.key_id
    import tracegraph.schema.checkpoint_keys as module

    def crash(src: object, dst: object) -> None:
        if str(src).endswith(".new"):
            raise OSError("power cut")
        real_replace(src, dst)  # type: ignore[arg-type]

    real_replace = module.os.replace
    monkeypatch.setattr(module.os, "replace", crash)
    with pytest.raises(OSError):
        manager.rotate()  # the new key was recorded, the key file not yet replaced
    monkeypatch.setattr(module.os, "replace", real_replace)
    new_id = manager.signer.key_id
    assert KeyManager.load(keys, environ={}).signer.key_id == new_id != old_id
    # a new key file whose public key was never recorded signed nothing: dropped
    stray = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
    pending = keys / (PRIVATE_KEY_FILE + ".new")
    pending.write_bytes(stray.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    reloaded = KeyManager.load(keys, environ={})
    assert reloaded.signer.key_id == new_id and not pending.exists()
    assert CheckpointSigner(stray).key_id not in {k.key_id for k in reloaded.verification_keys}


def test_key_from_the_environment_with_retired_public_keys(tmp_path: Path) -> None:
    old, new = CheckpointSigner.from_seed(bytes(32)), CheckpointSigner.from_seed(bytes([7]) * 32)
    env = {SIGNING_KEY_ENV: base64.b64encode(bytes([7]) * 32).decode(),
           VERIFY_KEYS_ENV: base64.b64encode(old.key.public_key).decode()}
    manager = KeyManager.load(tmp_path / "unused", environ=env)
    assert manager.signer.key == new.key
    assert [k.key_id for k in manager.verification_keys] == [new.key_id, old.key_id]
    assert not (tmp_path / "unused").exists()  # nothing written
    with pytest.raises(KeyConfigError, match=VERIFY_KEYS_ENV):
        manager.rotate()
    with pytest.raises(KeyConfigError, match="32"):
        KeyManager.load(environ={SIGNING_KEY_ENV: base64.b64encode(b"short").decode()})
