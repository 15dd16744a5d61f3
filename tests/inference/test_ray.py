"""`--engine ray`: the same rows as the local runner, from a Ray Data actor pool on a local
Ray instance (2 CPUs, no dashboard)."""
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from khitab.inference.batch import run_batch
from khitab.inference.options import RayOptions
from khitab.models.bundle import load_model
from tests.inference.test_batch import documents

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_ray_actor_pool_scores_like_the_local_runner(local_ray, tiny_bundle, tmp_path):
    from khitab.inference.ray_engine import run_ray

    table = pa.Table.from_pylist([{"id": r["id"], "text": r.get("text")} for r in documents(40)])
    source = tmp_path / "in.parquet"
    pq.write_table(table, source)
    local = run_batch(source, tmp_path / "local.jsonl", load_model(tiny_bundle), progress=False)
    shards = tmp_path / "shards"  # as a cluster job would read it: a folder of Parquet files
    shards.mkdir()
    for i in range(4):
        pq.write_table(table.slice(10 * i, 10), shards / f"part-{i}.parquet")
    expected = [json.loads(line) for line in (tmp_path / "local.jsonl").read_text(encoding="utf-8").splitlines()]

    summary = run_ray(str(shards), str(tmp_path / "ray_out"), load_model(tiny_bundle), str(tiny_bundle),
                      ray_options=RayOptions(num_actors=2, batch_rows=8))
    got = pq.read_table(tmp_path / "ray_out").to_pylist()
    assert got == expected
    errors = pq.read_table(tmp_path / "ray_out.errors").to_pylist()
    assert sorted(e["id"] for e in errors) == ["empty", "english", "missing"]
    assert summary.rows_read == 40 == summary.rows_scored + summary.rows_error
    assert (summary.rows_scored, summary.sentences) == (local.rows_scored, local.sentences)
