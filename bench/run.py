"""``make bench``: start the stack, seed it, drive load with wrk, measure the event pipeline, write a report.

    .venv/bin/python bench/run.py                  # the full run (about 12 minutes)
    .venv/bin/python bench/run.py --scale          # reads at 10,000 and 1,000,000 posts (make bench SCALE=1)
    .venv/bin/python bench/run.py --smoke          # seconds-long runs on a tiny seed (make test)
    .venv/bin/python bench/run.py --use-running http://127.0.0.1:8000   # a stack already up

Every HTTP scenario runs through the gateway AND straight against its service's port, for a fixed
time after a warm-up, and records requests/s, p50/p95/p99, errors (status >= 400, socket errors),
the latency the service itself measured, and the CPU each process used. Results are printed as a
Markdown table and written to ``bench/results/<date>-<shortcommit>.{md,json}``.

Worker processes per service (``--workers``, default 1) on this two-core machine: measured both ways
(see bench/README.md). Two workers per service make ten Python processes plus PostgreSQL and wrk
fight over two cores; the feed through the gateway was not faster with two, and one worker keeps the
per-request cost readable. Argon2 logins do not need a second worker: hashing runs in a thread and
releases the GIL, so one worker already uses both cores for it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

if __package__ in (None, ""):  # run as a script: make ``bench`` importable as a package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# Cache compiled bytecode: with PYTHONDONTWRITEBYTECODE every service process and migration would
# compile SQLAlchemy, FastAPI and pydantic from source at each start (seconds each on two cores).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

from bench import loadgen, observe, pipeline, report, scale, tracing  # noqa: E402
from bench.runner import Runner, Scenario  # noqa: E402
from bench.seed import PASSWORD, SeedData, next_cursor, pipeline_state, seed, wait_for_drain  # noqa: E402
from bench.stackctl import ROOT, ManagedStack, Target, running_target  # noqa: E402
from deploy.native import stack as native  # noqa: E402

DEFAULT_WORKERS = 2


@dataclass(frozen=True)
class Profile:
    name: str
    users: int
    posts: int
    seed_votes: int
    duration: float
    warmup: float
    connections: int
    login_connections: int
    events_burst: int
    events_paced: int
    events_rate: float
    events_batch: int
    #: Events pushed through the relay alone, then the consumer alone (which stage limits).
    events_stages: int
    #: Seeding posts through the API stops here (the run has a 10-minute budget on a busy machine).
    posts_max_s: float


FULL = Profile(
    name="full",
    users=50,
    posts=10_000,
    seed_votes=1_000,
    duration=15,
    warmup=2,
    connections=32,
    login_connections=8,
    events_burst=16_000,
    events_paced=4_000,
    events_stages=3_000,
    events_rate=2_000,
    events_batch=500,
    posts_max_s=90,
)
SMOKE = Profile(
    name="smoke",
    users=4,
    posts=100,
    seed_votes=40,
    duration=1,
    warmup=0,
    connections=4,
    login_connections=2,
    events_burst=200,
    events_paced=200,
    events_stages=100,
    events_rate=400,
    events_batch=100,
    posts_max_s=30,
)
#: ``--scale``: (posts at the first measurement, posts at the second). The API seeds the users and
#: these few posts and votes (the real write path and its events); the bulk path adds the rest.
SCALE_SIZES = (10_000, 1_000_000)
SCALE_SMOKE_SIZES = (1_000, 3_000)
SCALE_SEED: dict[str, Any] = {"posts": 200, "seed_votes": 100}
SCALE_SMOKE_SEED: dict[str, Any] = {"posts": 40, "seed_votes": 10}


def scenarios(profile: Profile, files: dict[str, str]) -> list[Scenario]:
    c, lc = profile.connections, profile.login_connections
    fa = ("auth", "GET", "/internal/forward-auth")
    feed = ("posts", "GET", "/api/v1/posts")
    one = ("posts", "GET", "/api/v1/posts/{post_id}")
    create = ("posts", "POST", "/api/v1/posts")
    vote = ("votes", "PUT", "/api/v1/votes/{post_id}")
    login = ("auth", "POST", "/api/v1/auth/login")
    feed_files = {"paths": files["feed_paths"]}
    feed_auth = {"paths": files["feed_paths"], "tokens": files["tokens"]}
    feed_miss = {"paths": files["feed_miss_paths"], "tokens": files["tokens"]}
    one_files = {"paths": files["post_paths"]}
    fa_files = {"paths": files["forward_auth_paths"], "tokens": files["tokens"]}
    login_files = {"users": files["users"], "password": PASSWORD}
    create_files = {"tokens": files["tokens"]}
    vote_files = {"tokens": files["tokens"], "ids": files["post_ids"]}
    return [
        Scenario("feed", "feed read, anonymous", "gateway", "get", c, (feed, fa), feed_files),
        Scenario("feed", "feed read, anonymous", "posts", "get", c, (feed,), feed_files),
        Scenario("feed", "feed read, anonymous", "gateway-direct-fa", "get", c, (feed, fa), feed_files),
        Scenario("feed-auth", "feed read, bearer token", "gateway", "get", c, (feed, fa), feed_auth),
        Scenario("feed-auth", "feed read, bearer token", "posts", "get", c, (feed,), feed_auth),
        Scenario(
            "feed-auth", "feed read, bearer token", "gateway-direct-fa", "get", c, (feed, fa), feed_auth
        ),
        Scenario(
            "feed-miss",
            "feed page 2 by cursor (uncached), bearer token",
            "gateway",
            "get",
            c,
            (feed, fa),
            feed_miss,
        ),
        Scenario(
            "feed-miss",
            "feed page 2 by cursor (uncached), bearer token",
            "posts",
            "get",
            c,
            (feed,),
            feed_miss,
        ),
        Scenario("post-get", "one post by id", "gateway", "get", c, (one, fa), one_files),
        Scenario("post-get", "one post by id", "posts", "get", c, (one,), one_files),
        Scenario("forward-auth", "forwardAuth check, bearer token", "auth", "get", c, (fa,), fa_files),
        Scenario("forward-auth-1c", "forwardAuth check, 1 connection", "auth", "get", 1, (fa,), fa_files),
        Scenario(
            "post-create",
            "post create, bearer token",
            "gateway",
            "create",
            c,
            (create, fa),
            create_files,
            True,
        ),
        Scenario(
            "post-create", "post create, bearer token", "posts", "create", c, (create,), create_files, True
        ),
        Scenario(
            "post-create",
            "post create, bearer token",
            "gateway-direct-fa",
            "create",
            c,
            (create, fa),
            create_files,
            True,
        ),
        Scenario("vote", "vote, new (user, post) pairs", "gateway", "vote", c, (vote, fa), vote_files, True),
        Scenario("vote", "vote, new (user, post) pairs", "votes", "vote", c, (vote,), vote_files, True),
        # Every class at once (see mixed.py); its runs are reported apart (results["mixed"]).
        Scenario("mixed", "feed readers, voters, creators, post readers at once", "gateway", "mixed", c, ()),
        # Tracing on (10% sampled, to a receiver of the bench) and off, each after a restart of the services
        # and the gateway (see tracing.py); reported apart (results["tracing"]).
        Scenario("tracing", "feed read, bearer token", "gateway", "get", c, (feed, fa), feed_auth),
        Scenario(
            "tracing", "post create, bearer token", "gateway", "create", c, (create, fa), create_files, True
        ),
        # Last: every login opens a session, and past auth's MAX_SESSIONS_PER_USER the oldest ones
        # (those of the seeding tokens the other runs use) are signed out, so forwardAuth says 401.
        Scenario("login", "login form (Argon2id)", "gateway", "login", lc, (login, fa), login_files),
        Scenario("login", "login form (Argon2id)", "auth", "login", lc, (login,), login_files),
    ]


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603, S607
    return result.stdout.strip()


def environment(target: Target, profile: Profile, wrk: str) -> dict[str, Any]:
    commit = _git("rev-parse", "HEAD") or "unknown"
    dirty = bool(_git("status", "--porcelain"))
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit + ("-dirty" if dirty else ""),
        "short_commit": commit[:8],
        "nproc": os.cpu_count(),
        "cpu_model": observe.cpu_model(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "wrk": loadgen.wrk_version(wrk),
        "workers_per_service": target.workers if target.workers is not None else "unknown (running stack)",
        "mode": profile.name,
        "duration_s": profile.duration,
        "warmup_s": profile.warmup,
        "gateway_url": target.gateway_url,
        "service_urls": target.service_urls,
        "managed_stack": target.managed,
        "notes": target.notes,
    }


def write_files(directory: Path, data: SeedData, target: Target) -> dict[str, str]:
    """The lists wrk's Lua script reads: paths, tokens, users, post ids."""
    directory.mkdir(parents=True, exist_ok=True)
    cursor = asyncio.run(next_cursor(target.service_urls["posts"], data.users[0].token))
    contents = {
        "feed_paths": ["/api/v1/posts?limit=20"],
        # Cursor pages are never cached: every read of this page is a database query.
        "feed_miss_paths": [f"/api/v1/posts?limit=20&cursor={quote(cursor)}"],
        "forward_auth_paths": ["/internal/forward-auth"],
        "post_paths": [f"/api/v1/posts/{post_id}" for post_id in data.post_ids],
        "post_ids": data.post_ids,
        "tokens": [user.token for user in data.users],
        "users": [user.username for user in data.users],
    }
    files = {}
    for name, lines in contents.items():
        path = directory / f"{name}.txt"
        path.write_text("\n".join(lines) + "\n")
        files[name] = str(path)
    return files


_T0 = time.perf_counter()


def _say(message: str) -> None:
    """A progress line, stamped with the seconds since the bench started."""
    print(f"[{time.perf_counter() - _T0:5.0f}s] {message}", flush=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed, as uvicorn picks it for the services."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _hold(target: Target, data: SeedData) -> None:
    """Keep the seeded stack up for manual work (profiling); Ctrl-C goes on to tear it down."""
    token = data.users[0].token
    _say(f"\nholding: gateway {target.gateway_url}, services {target.service_urls}")
    _say(f"a token (user {data.users[0].username}): {token}")
    _say("Ctrl-C (or SIGTERM) stops the stack.")

    signal.signal(signal.SIGINT, _interrupt)  # even when started in the background (SIGINT ignored)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        raise SystemExit(0) from None


def _http(
    runner: Runner,
    planned: list[Scenario],
    only: set[str],
    files: dict[str, str],
    profile: Profile,
    results: dict[str, Any],
    managed: ManagedStack | None,
) -> None:
    """The HTTP scenarios one after the other, then the real services' event pipeline of the votes."""
    target = runner.target
    runs: list[dict[str, Any]] = []
    vote_window: list[datetime] = []
    for scenario in planned:
        if only and scenario.key not in only:
            continue
        if scenario.via == "gateway-direct-fa" and target.gateway_direct_fa_url is None:
            continue  # a running stack has no comparison gateway
        if scenario.mode == "mixed":
            _say(f"mixed: every class at once through the gateway, {profile.connections} connections ...")
            results["mixed"] = runner.mixed(files, profile.connections, _say)
            continue
        if scenario.key == "tracing":
            if "tracing" in results:
                continue  # the group ran at its first scenario
            if managed is None:
                target.notes.append("tracing: not measured (a running stack cannot be restarted with it)")
                results["tracing"] = None
                continue
            _say(f"tracing: on at {tracing.SAMPLE_RATE} sampling, then off (each after a restart) ...")
            group = [s for s in planned if s.key == "tracing"]
            results["tracing"] = tracing.run_tracing(runner, managed, group, _say)
            continue
        if scenario.key == "vote" and not vote_window:
            vote_window.append(_now())
        run = runner.run(scenario)
        runs.append(run)
        _say(report.progress_line(run))
        if scenario.sequenced:  # let the events this run produced drain before the next run
            lag, _ = asyncio.run(wait_for_drain(target, within=300))
            run["drain_after_s"] = round(lag, 2)
            _say(f"    events drained {lag:.1f}s after the run")
        if scenario.key == "vote":
            vote_window[1:] = [_now()]
    results["http"] = runs
    if any(r["scenario"] == "vote" for r in runs):
        real = asyncio.run(pipeline.real_pipeline(target, vote_window[0], vote_window[-1]))
        real["drain_after_load_s"] = next(
            (r.get("drain_after_s") for r in reversed(runs) if r["scenario"] == "vote"), None
        )
        results["pipeline_real"] = real
        _say(report.pipeline_line("real services (votes -> posts)", real))


def _scale(
    args: argparse.Namespace,
    runner: Runner,
    data: SeedData,
    files: dict[str, str],
    directory: Path,
    profile: Profile,
) -> dict[str, Any]:
    """``--scale``: the reads at the small size, then at the large one (see ``scale.py``)."""
    small = args.scale_base or (SCALE_SMOKE_SIZES if args.smoke else SCALE_SIZES)[0]
    large = args.scale_posts or (SCALE_SMOKE_SIZES if args.smoke else SCALE_SIZES)[1]
    existing = asyncio.run(pipeline_state(runner.target)).posts  # a running stack may hold more
    if not existing < small < large:
        raise SystemExit(f"--scale needs the posts there ({existing:,}) < {small:,} < {large:,}")
    seeder = scale.BulkSeeder(runner.target, data.users, existing=existing)
    return scale.study(
        runner,
        seeder,
        files["tokens"],
        directory,
        sizes=(small, large),
        connections=profile.connections,
        progress=_say,
    )


def bench(args: argparse.Namespace) -> int:
    profile = SMOKE if args.smoke else FULL
    only = {key.strip() for key in (args.only or "").split(",") if key.strip()}
    signal.signal(signal.SIGTERM, _interrupt)  # a stopped bench still stops the stack it started
    if args.scale:  # the API seeds users and a few posts; the bulk path brings the rest (scale.py)
        profile = Profile(**{**profile.__dict__, **(SCALE_SMOKE_SEED if args.smoke else SCALE_SEED)})
    overrides = {"duration": args.duration, "posts": args.posts, "users": args.users}
    profile = Profile(**{**profile.__dict__, **{k: v for k, v in overrides.items() if v is not None}})
    out_dir = Path(args.out) if args.out else ROOT / "bench" / "results" / ("smoke" if args.smoke else "")
    wrk = loadgen.ensure_wrk()
    started = time.perf_counter()
    managed: ManagedStack | None = None
    if args.use_running:
        target = running_target(args.use_running, db_suffix=args.db_suffix, workers=args.workers)
        roots: dict[str, int] = {}
    else:
        workers = args.workers or DEFAULT_WORKERS
        managed = ManagedStack(workers=workers, log_dir=ROOT / ".dev" / "logs" / "bench")
        _say(f"starting the bench stack ({workers} worker(s) per service; logs in {managed.log_dir}) ...")
        managed.start()
        target = managed.target()
        roots = managed.pids()
        _say(f"  ready in {time.perf_counter() - started:.1f}s: gateway {target.gateway_url}")
    meta = environment(target, profile, wrk)
    results: dict[str, Any] = {"environment": meta, "profile": profile.__dict__}
    meter = observe.CpuMeter(roots)
    try:
        _say(f"seeding: {profile.users} users, {profile.posts} posts, {profile.seed_votes} votes ...")
        data = asyncio.run(
            seed(
                target,
                users=profile.users,
                posts=profile.posts,
                votes=profile.seed_votes,
                posts_max_s=profile.posts_max_s,
                progress=_say,
            )
        )
        drained, state = asyncio.run(wait_for_drain(target))
        data.timings_s["drain"] = round(drained, 2)
        counts = f"{state.posts} posts, {state.votes} votes"
        _say(f"  event pipeline drained {drained:.1f}s after seeding ({counts})")
        results["seed"] = data.summary()
        if args.hold:
            _hold(target, data)
        with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
            files = write_files(Path(tmp), data, target)
            runner = Runner(
                wrk,
                target,
                meter,
                duration=profile.duration,
                warmup=profile.warmup,
                seed_votes=profile.seed_votes,
            )
            if args.scale:
                results["scale"] = _scale(args, runner, data, files, Path(tmp), profile)
            else:
                _http(runner, scenarios(profile, files), only, files, profile, results, managed)
    finally:
        if managed is not None:
            _say("stopping the bench stack ...")
            managed.stop()
    if not args.scale and (not only or "events" in only):
        phases = (
            f"{profile.events_stages} per stage, {profile.events_burst} burst, {profile.events_paced} paced"
        )
        _say(f"event pipeline in-process ({phases}) ...")
        stack_config = native.StackConfig()
        measure = pipeline.in_process(
            target.pg_base,
            str(stack_config.amqp_url),
            burst=profile.events_burst,
            paced=profile.events_paced,
            rate=profile.events_rate,
            batch=profile.events_batch,
            stages=profile.events_stages,
            max_wait_s=30 if args.smoke else 120,
        )
        with asyncio.Runner(loop_factory=_loop_factory()) as loop_runner:
            results["pipeline_inprocess"] = loop_runner.run(measure)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    results["targets"] = report.targets(results)
    markdown = report.markdown(results)
    print("\n" + markdown, flush=True)
    md_path, json_path = report.write(out_dir, meta, markdown, results)
    _say(
        f"written: {md_path.relative_to(ROOT) if md_path.is_relative_to(ROOT) else md_path}, {json_path.name}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny seed, 1 s runs, few connections (make test)"
    )
    parser.add_argument("--use-running", metavar="URL", help="gateway URL of a stack already running")
    parser.add_argument(
        "--db-suffix", help="with --use-running: its databases' suffix (default from the port)"
    )
    parser.add_argument(
        "--workers", type=int, help=f"worker processes per service (default {DEFAULT_WORKERS})"
    )
    parser.add_argument("--duration", type=float, help="seconds per measured run (default 15; smoke 1)")
    parser.add_argument("--posts", type=int, help="posts to seed (default 10,000; smoke 100)")
    parser.add_argument("--users", type=int, help="users to seed (default 50; smoke 4)")
    parser.add_argument("--out", help="directory for the result files (default bench/results)")
    parser.add_argument(
        "--only",
        help="comma-separated scenario keys to run (feed, feed-auth, post-get, forward-auth, forward-auth-1c,"
        " feed-miss, login, post-create, vote, mixed, tracing, events); default all",
    )
    parser.add_argument("--hold", action="store_true", help="after seeding, keep the stack up until Ctrl-C")
    parser.add_argument(
        "--scale",
        action="store_true",
        help="instead of the scenarios: the reads at 10,000 posts and again at 1,000,000 (bulk-seeded;"
        " make bench SCALE=1)",
    )
    # Hidden: the scale run's sizes, to try the path on a smaller table (the real study uses the defaults).
    parser.add_argument("--scale-posts", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scale-base", type=int, help=argparse.SUPPRESS)
    return bench(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
