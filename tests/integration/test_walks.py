"""The documentation's walks, run as a newcomer runs them (issue 21 item 8): each script of
``docs/walks/`` against a stack started as ``make up`` starts it (``deploy/local/stack.py up``,
its own ports, run folder and namespace, on the session's infrastructure), checked for what its
text says it prints, failing on an error answer, and leaving the repository as it was.

The stack is the module's: the walks share it as a newcomer's walks share ``make up``'s, in the
order the README tells them (the front door's walk first)."""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from harness import REPO, Infra, Namespace, free_port

pytestmark = pytest.mark.integration

WALKS = REPO / "docs" / "walks"
STACK = REPO / "deploy" / "local" / "stack.py"


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    run_dir: Path
    up_output: str

    def walk(self, name: str, timeout: float = 120, **settings: str) -> str:
        """Run one walk from the repository as the README says, and answer what it printed;
        a walk that fails (an error answer, a wait that ran out) fails the test."""
        before = porcelain()
        done = subprocess.run(
            ["bash", str(WALKS / name)],
            cwd=REPO,
            env={**self.env, **settings},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
        assert porcelain() == before, f"{name} changed the repository"
        return done.stdout


def porcelain() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    run_dir = tmp_path_factory.mktemp("walk-stack")
    # below the ephemeral range, where a client's connection cannot take a port meanwhile
    bases = iter(lambda: random.randrange(20000, 32000, 10), 0)
    base = next(b for b in bases if not any(map(_taken, _five(b))))
    env = {
        **os.environ,
        **infra.env(),
        "INFRA_FROM_ENV": "1",
        "INFRA_RUN": str(run_dir),
        "STACK_NAMESPACE": Namespace().name,
        "SERVICE_PORT_BASE": str(base),
        "GATEWAY_PORT": str(free_port()),
        "GATEWAY_KIHONET_PORT": str(free_port()),
        "PROMETHEUS_PORT": str(free_port()),
    }
    up = subprocess.run(
        [sys.executable, str(STACK), "up"], env=env, capture_output=True, text=True, check=False
    )
    try:
        assert up.returncode == 0, f"stack.py up failed:\n{up.stdout}\n{up.stderr}"
        yield Stack(env, run_dir, up.stdout)
    finally:
        subprocess.run([sys.executable, str(STACK), "down"], env=env, capture_output=True)


def _five(base: int) -> range:
    """The ports of the five services above ``SERVICE_PORT_BASE`` (stack.py's 8001-8005)."""
    return range(base + 1, base + 6)


def _taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_make_up_prints_the_demo_organisation_and_records_it_for_the_walks(stack: Stack) -> None:
    recorded = dict(
        line.split("=", 1) for line in (stack.run_dir / "stack.env").read_text().splitlines()
    )
    org_id = recorded["DEMO_ORG_ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", org_id)
    printed = stack.up_output
    assert f"demo organisation {org_id}" in printed
    assert "initial password" in printed and "stale" in printed


def test_the_readme_walk_is_docs_walks_readme_walk_sh() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A walk", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None, "the README's section 'A walk' has no bash block"
    assert block[1] == (WALKS / "README_walk.sh").read_text(encoding="utf-8")


def test_id_pw_05_readme_walk_a_login_its_mail_and_its_access_record(stack: Stack) -> None:
    out = stack.walk("README_walk.sh")
    assert "仮パスワードのお知らせ" in out
    assert '["password_change"]' in out
    assert re.search(r"^\[1-1\]ログイン XA3000001 \S+ 127\.0\.0\.1$", out, re.M), out


def test_make_status_says_the_demo_password_a_walk_set_and_asks_readyz(stack: Stack) -> None:
    stack.walk("access_history.sh")  # the demo admin's password is a walk's by now
    status = subprocess.run(
        [sys.executable, str(STACK), "status"], env=stack.env, capture_output=True, text=True
    ).stdout
    assert "the one a walk set last" in status
    assert re.search(r"^\s+identity\s+running\s+:", status, re.M), status


def test_id_lock_01_login_walk_locks_after_three_and_the_admin_unlocks(stack: Stack) -> None:
    out = stack.walk("login.sh").splitlines()
    assert out[2:6] == ["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "ACCOUNT_LOCKED", "204"]
    assert "[10-2]アカウントロック " in out and "[10-3]アカウントロック解除 " in out


def test_id_bind_id_mail_dantai_first_login_walk(stack: Stack) -> None:
    out = stack.walk("dantai_first_login.sh").splitlines()
    assert out[0] == '["password_change","browser_registration","auth_email_address","login_link"]'
    assert out[4].startswith('{"ready":true')
    assert out[6] == '{"restricted":false,"pending_steps":[]}'
    assert out[7:] == ["1", "BROWSER_MISMATCH"]


def test_ct_01_ct_09_certificates_walk_issues_and_revokes_in_a_scratch_folder(
    stack: Stack,
) -> None:
    out = stack.walk("certificates.sh", timeout=150).splitlines()
    assert out[0] == '{"code":"INPUT_INFO_ERROR","status_code":3420}'
    assert re.fullmatch(r"CN=U\d{6} AB\d{8},UID=U\d{6},OU=AB\d{8},O=Kihonet,C=JP", out[1])
    assert out[3:6] == ["INVALID_CREDENTIALS", "CLIENT_CERTIFICATE_REQUIRED", "my.pem: good"]
    assert out[7:] == [
        "my.pem: revoked",
        "error my.pem: verification failed",
        "CLIENT_CERTIFICATE_REQUIRED",
    ]


def test_id_otp_04_id_perm_01_nexi_otp_walk(stack: Stack) -> None:
    out = stack.walk("nexi_otp.sh").splitlines()
    assert '"reason":"OTP_REQUIRED"' in out[2]
    assert '"allow":true,"reason":"ALLOWED","rule":"ID-PERM-01"' in out[4]
    assert '"reason":"RIDER_NOT_PERMITTED"' in out[5]
    assert out[6].endswith('"otp_required":true,"otp_verified":true}')


def test_id_bot_01_id_bot_02_kencom_bot_walk(stack: Stack) -> None:
    out = stack.walk("kencom_bot.sh").splitlines()
    first, harder = (int(line.split()[1]) for line in (out[0], out[4]))
    assert harder == 4 * first
    assert out[1:4] == ["CHALLENGE_REQUIRED", "CHALLENGE_FAILED", "CHALLENGE_FAILED"]
    assert out[5:] == ["INVALID_CREDENTIALS", "CHALLENGE_FAILED"]


def test_au_03_access_history_walk_saves_a_csv_not_an_error(stack: Stack) -> None:
    out = stack.walk("access_history.sh").splitlines()
    assert out[0].startswith("logged in as XA3000001 of ")
    assert out[2] == "アクセス日時,WebユーザーID,操作内容,氏名,所属名,役職名"
    assert "XA3000001" in out[3]


def test_au_04_export_job_walk_waits_until_ready_then_downloads_once(stack: Stack) -> None:
    out = stack.walk("export_job.sh").splitlines()
    assert out[0] == "202"
    assert out[1].startswith('{"state":"ready","rows":')
    assert out[3] == "410 EXPORT_GONE"


def test_nt_03_x_15_notify_walk_support_reads_the_delivery_log(stack: Stack) -> None:
    out = stack.walk("notify_deliveries.sh")
    assert re.search(r"^temporary_password sent admin@\S+$", out, re.M), out
    assert out.splitlines()[-1] == "SESSION_EXPIRED"


def test_en_01_en_05_enroll_walk_signs_up_and_opens_the_checkup_gate(stack: Stack) -> None:
    out = stack.walk("enroll_signup.sh").splitlines()
    assert out[0] == '{"version":1,"rows":1,"changed":true}'
    assert out[2] == "【kencom】仮登録ありがとうございます（※まだ本登録は完了していません）"
    assert out[3] == '{"code":"ELIGIBLE","status":"registering"}'
    assert out[4].startswith("member ")
    assert out[6] == '{"question":"出身地は？","answer":"********"}'
    assert out[8].startswith("健診結果に関する注意事項")


def test_x_05_fuzzing_walk_runs_schemathesis_with_a_few_examples(stack: Stack) -> None:
    out = stack.walk("fuzzing.sh", timeout=300, FUZZ_EXAMPLES="1")
    assert re.search(r"^\d+ passed, \d+ deselected", out, re.M), out
    assert "failed" not in out
