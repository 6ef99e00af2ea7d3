"""Schemathesis's stateful phase as the portal's people would walk it, for test_fuzz_stateful.

Schemathesis builds a hypothesis state machine from a service's OpenAPI links: each rule is one
link (an answer's value carried into the next call) or a root, an operation that starts a chain.
This module runs that machine against a service process and decides who makes each call:

- A **caller** is one of the test's people (the back office, support, an admin, ...), sending
  its session as a bearer token, or a session this run opened: when an answer sets the
  ``__Host-session`` cookie (a login, a password change that rotates the session), the calls
  that follow it by links send that cookie and the CSRF header, as the browser would.
- The machine has one more rule beside schemathesis's: ``switch_caller`` makes another of the
  test's people the caller of the next roots and links, so that a resource one person made is
  sometimes asked for by a stranger (X-15), and the oracle says whether the answer may be 2xx.
  Every read answered 2xx is also asked again by each caller the oracle calls a stranger to it.
- Roots are chosen by the test (:func:`roots_at`): schemathesis's heuristic takes every
  ``{realm}`` path parameter for a reference to a resource nobody creates, and would start
  every chain at the one operation without one.
- A root's path parameters are the caller's own realm, organisation and user (as in the
  single-request fuzzing), so that chains start past ``REALM_NOT_FOUND``; a link's values are
  kept, and where schemathesis left one out on purpose, the generated value goes.

Every step is validated with the single-request checks (``fuzz_people.CHECKS``) and the
service's oracle, and counted in :class:`Tally`, so that the test can prove the run chained
calls and asked strangers, rather than degenerating into single requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import hypothesis
from fuzz_people import CHECKS
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from hypothesis.stateful import initialize, rule
from schemathesis import Case
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation.stateful.state_machine import APIStateMachine, StepInput, StepOutput
from schemathesis.specs.openapi import stateful as openapi_stateful

from servicekit.credentials import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE

_SESSION_SET = re.compile(rf"^{re.escape(SESSION_COOKIE)}=([^;]+)")


@dataclass(frozen=True)
class Caller:
    """Who makes a call: one of the test's people, or a session this run opened."""

    name: str
    kind: str
    """anonymous, back_office, support, admin, business or member."""
    realm: str
    token: str = ""
    cookie: bool = False
    """The token travels as the session cookie: a session this run opened, as a browser."""
    org_id: str | None = None
    user_id: str | None = None
    """The caller's own user (none for the back office and the anonymous)."""
    path: Mapping[str, str] = field(default_factory=dict)
    """Path parameters of the roots it calls: its realm, and people nobody else needs."""

    def dress(self, case: Case) -> None:
        """Put this caller's credential on the case, in place of a generated one; the
        anonymous send what schemathesis generated (junk tokens are part of the fuzzing)."""
        if not self.token:
            return
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        cookies = {k: v for k, v in (case.cookies or {}).items() if k != SESSION_COOKIE}
        if self.cookie:
            cookies[SESSION_COOKIE] = self.token
            if case.operation.method.upper() not in SAFE_METHODS:
                headers[CSRF_HEADER] = "1"
        else:
            headers["Authorization"] = f"Bearer {self.token}"
        case.headers, case.cookies = headers, cookies


def session_set_by(response: Response) -> str | None:
    """The session token an answer's ``Set-Cookie`` gives, if it gives one (not a deletion)."""
    for value in response.headers.get("set-cookie", []):
        found = _SESSION_SET.match(value)
        if found and found[1] != '""':
            return found[1]
    return None


class Oracle(Protocol):
    """What a service's answers must be, beyond the document: X-15 for each caller."""

    def learn(self, case: Case, response: Response, caller: Caller) -> None:
        """Remember what a 2xx answer made (an organisation, a user), and who made it."""

    def session_after(self, case: Case, response: Response, caller: Caller) -> Caller | None:
        """The caller a session cookie set by this answer stands for, if one was set."""

    def refusal_due(self, case: Case, caller: Caller) -> str | None:
        """Why ``caller`` may not have a 2xx answer to ``case`` (X-15), or None if it may."""

    def check_answer(self, case: Case, response: Response, caller: Caller) -> None:
        """Further checks of a 2xx answer's content (e.g. introspection answers the caller)."""


@dataclass
class Tally:
    """What the run did, over all its scenarios: the proof that it chained calls."""

    steps: int = 0
    links: dict[str, int] = field(default_factory=dict)
    """Link name → steps that followed it with the values it carried."""
    linked_successes: dict[str, int] = field(default_factory=dict)
    """Link name → those steps answered 2xx: the carried value reached the code behind it."""
    carried_into_path: int = 0
    """2xx steps whose path held an id an earlier answer gave (an organisation, a user; the
    realm, which every root is given, does not count)."""
    carried_into_body: int = 0
    """2xx steps whose body held a value an earlier answer gave (a password, a token)."""
    session_calls: int = 0
    """Steps made with a session an earlier answer of the chain set."""
    session_successes: int = 0
    """Those steps answered 2xx: a login's session went on working."""
    strangers_refused: int = 0
    """Calls the oracle said a stranger made, answered with a refusal."""
    replays: int = 0
    """Reads a stranger asked for again after their owner's 2xx."""
    answers: dict[str, int] = field(default_factory=dict)
    """``"POST /v1/... 403 FORBIDDEN (admin)"`` → how many steps were answered so, to whom."""
    scenarios: int = 0
    restarts: int = 0
    """Times hypothesis stopped on its own inconsistency (:func:`run` says why)."""
    failures: list[str] = field(default_factory=list)
    """Every failed check's report, with the curl command that reproduces it."""


@contextmanager
def roots_at(labels: set[str]) -> Iterator[None]:
    """Schemathesis starts its chains at ``labels`` (``"POST /v1/..."``) while it builds a
    state machine. Its own choice (:func:`classify_root_transitions`) takes a ``{realm}`` path
    parameter for a reference to a resource that no operation creates."""
    original = openapi_stateful.classify_root_transitions

    def chosen(operations: Any, transitions: Any, graph: Any) -> Any:
        roots = original(operations, transitions, graph)
        unknown = labels - set(transitions.operations)
        assert not unknown, f"roots without links: {sorted(unknown)}"
        roots.reliable = set(labels)
        return roots

    openapi_stateful.classify_root_transitions = chosen
    try:
        yield
    finally:
        openapi_stateful.classify_root_transitions = original


def state_machine(
    schema: Any,
    *,
    base_url: str,
    callers: Mapping[str, Caller],
    oracle: Oracle,
    roots: set[str],
    tally: Tally,
    prepare: Callable[[StepInput, Caller], None] = lambda step, caller: None,
    handed_on: Mapping[str, str] | None = None,
) -> type[APIStateMachine]:
    """The service's state machine, calling ``base_url`` as ``callers`` (each scenario starts
    with one of them, drawn like its steps). ``prepare`` may change a step's case before it
    goes (what a person types that the schema cannot say, a link from a mail).
    ``handed_on`` names the operations (``"POST /v1/..."``) a link leads to that are made by
    another person than the one before: the caller whose user the linked step's path named
    (support issues a member's code, the member types it), who then goes on calling."""
    with roots_at(roots):
        generated = schema.as_state_machine()
    first = next(iter(callers.values()))

    class Chains(generated):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            tally.scenarios += 1
            self.caller = first
            self.sessions: dict[str, Caller] = {}
            """Case id → the session its answer set, or it was made with, for its links."""
            self.making: Caller = first

        @initialize(name=st.sampled_from(sorted(callers)))
        def first_caller(self, name: str) -> None:
            self.caller = callers[name]

        @rule(name=st.sampled_from(sorted(callers)))
        def switch_caller(self, name: str) -> None:
            self.caller = callers[name]

        def step(self, input: StepInput) -> StepOutput:
            caller = self.caller
            if input.transition is not None:
                caller = self.sessions.get(input.transition.parent_id, caller)
                if (person := self._handed_on(input)) is not None:
                    caller = self.caller = person
            self._fill_path(input, caller)
            caller.dress(input.case)
            prepare(input, caller)
            self.making = caller
            output = super().step(input)
            self._count(input, output, caller)
            if input.case.method.upper() == "GET" and 200 <= output.response.status_code < 300:
                self._strangers_ask(input.case, caller)
            session = oracle.session_after(input.case, output.response, caller)
            if session is None and caller.cookie:
                session = caller
            if session is not None:
                self.sessions[input.case.id] = session
            return output

        def _handed_on(self, input: StepInput) -> Caller | None:
            assert input.transition is not None
            named = (handed_on or {}).get(input.case.operation.label)
            if named is None:
                return None
            parent = self.recorder.cases[input.transition.parent_id].value
            person = (parent.path_parameters or {}).get(named)
            return next((c for c in callers.values() if c.user_id == person), None)

        def _fill_path(self, input: StepInput, caller: Caller) -> None:
            carried = {
                name
                for location, name in input.applied_parameters
                if location is ParameterLocation.PATH
            }
            parameters = input.case.path_parameters or {}
            for name in parameters:
                if name in carried:
                    continue
                if name == "realm":
                    parameters[name] = caller.path.get("realm", caller.realm)
                elif input.transition is None and name in caller.path:
                    parameters[name] = caller.path[name]

        def _count(self, input: StepInput, output: StepOutput, caller: Caller) -> None:
            tally.steps += 1
            status = output.response.status_code
            answer = f"{input.case.operation.label} {status} {_problem(output.response)}"
            answer += f" ({caller.kind})"
            tally.answers[answer] = tally.answers.get(answer, 0) + 1
            success = 200 <= status < 300
            if input.transition is not None and input.is_applied:
                name = input.transition.id
                tally.links[name] = tally.links.get(name, 0) + 1
                if success:
                    tally.linked_successes[name] = tally.linked_successes.get(name, 0) + 1
                    carried = {(location, name) for location, name in input.applied_parameters}
                    ids = {name for location, name in carried if location is ParameterLocation.PATH}
                    tally.carried_into_path += bool(ids - {"realm"})
                    tally.carried_into_body += any(
                        location is ParameterLocation.BODY for location, _ in carried
                    )
            if caller.cookie:
                tally.session_calls += 1
                tally.session_successes += success
            if not success and oracle.refusal_due(input.case, caller) is not None:
                tally.strangers_refused += 1

        def _strangers_ask(self, read: Case, owner: Caller) -> None:
            """Every caller the oracle says may not read what ``owner`` just read asks for it
            too, the same request with its own credential (none for the anonymous)."""
            for stranger in callers.values():
                if stranger == owner or oracle.refusal_due(read, stranger) is None:
                    continue
                asked = read.operation.Case(
                    path_parameters=dict(read.path_parameters or {}),
                    query=dict(read.query or {}),
                    headers={
                        k: v
                        for k, v in (read.headers or {}).items()
                        if k.lower() not in ("authorization", CSRF_HEADER.lower())
                    },
                    cookies={k: v for k, v in (read.cookies or {}).items() if k != SESSION_COOKIE},
                )
                stranger.dress(asked)
                kwargs = self.get_call_kwargs(asked)
                response = asked.call(**kwargs)
                tally.replays += 1
                tally.strangers_refused += not 200 <= response.status_code < 300
                self._validated(response, asked, stranger, kwargs, recorded=False)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"base_url": base_url, "timeout": 30}

        def after_call(self, response: Response, case: Case) -> None:
            super().after_call(response, case)
            if 200 <= response.status_code < 300:
                oracle.learn(case, response, self.making)

        def validate_response(
            self,
            response: Response,
            case: Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            self._validated(response, case, self.making, kwargs, recorded=True)

        def _validated(
            self,
            response: Response,
            case: Case,
            caller: Caller,
            kwargs: dict[str, Any],
            *,
            recorded: bool,
        ) -> None:
            """The single-request checks and the oracle's; a failure is kept in the tally."""

            def x_15_no_answer_to_a_stranger(ctx: Any, response: Response, case: Case) -> None:
                if not 200 <= response.status_code < 300:
                    return
                why = oracle.refusal_due(case, caller)
                assert why is None, f"X-15: {caller.name} got {response.status_code}: {why}"
                oracle.check_answer(case, response, caller)

            try:
                case.validate_response(
                    response,
                    checks=CHECKS,
                    additional_checks=[x_15_no_answer_to_a_stranger],
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder if recorded else None,
                )
            except FailureGroup as failed:
                tally.failures.append(str(failed))
                raise

    Chains.__name__ = Chains.__qualname__ = f"{schema.raw_schema['info']['title']}Chains"
    return Chains


def _problem(response: Response) -> str:
    """A problem's code and, for a validation error, where: what a refused step met."""
    if response.status_code < 400:
        return ""
    try:
        problem = response.json()
        where = [".".join(map(str, e["location"])) for e in problem.get("errors", [])]
        return " ".join([problem["code"], *where[:2]])
    except (ValueError, KeyError, TypeError):
        return "?"


MAX_RESTARTS = 10


def run(
    machine: type[APIStateMachine], tally: Tally, *, examples: int, steps: int, at_seed: int
) -> None:
    """``examples`` scenarios of at most ``steps`` calls from a fixed seed, without an example
    database, so that every run of the suite makes the same calls; then fail with the first
    failed check's report, if any.

    The services keep what each scenario did (a verified checkup code, a used activation link,
    a lock), so the same choices can meet other answers in a later scenario, and other rules to
    choose from. Hypothesis calls that an inconsistent data generation and stops: like
    schemathesis's own runner, this goes on with the next seed for the scenarios left. For the
    same reason nothing is shrunk or replayed: a failure is reported as it happened, from
    :attr:`Tally.failures`, not as hypothesis would replay it.
    """
    while tally.scenarios < examples:
        seed(at_seed + tally.restarts)(machine)
        try:
            machine.run(
                settings=settings(
                    max_examples=examples - tally.scenarios,
                    stateful_step_count=steps,
                    deadline=None,
                    database=None,
                    phases=[hypothesis.Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
            break
        except BaseException as stopped:
            if tally.failures:
                raise AssertionError(tally.failures[0]) from stopped
            if not isinstance(stopped, FlakyStrategyDefinition) or tally.restarts == MAX_RESTARTS:
                raise
            tally.restarts += 1
    assert not tally.failures, tally.failures[0]


def caller_with(caller: Caller, token: str) -> Caller:
    """The same person with a rotated session (ID-SESS-03)."""
    return replace(caller, token=token, cookie=True)
