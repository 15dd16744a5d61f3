"""Which real units get annotated: strata from the sources' own proxy tags, from cue words, and
at random (at least a third, so prevalence and hard negatives are real). Cue words only choose
what annotators read; they never assign a label."""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from khitab.data.external._lexicon import has_denial_cue, has_sect_term, has_threat_cue
from khitab.data.real.units import Unit

# Items drawn per stratum, at most (a stratum with fewer eligible units gives all it has).
PROXY_QUOTAS = {
    "violence": 450, "religion_hate": 500, "hate": 250, "incitement": 400, "accusation": 120,
    "doubt": 200, "disagree": 300, "fake": 150,
}
CUE_QUOTAS = {"threat_cue": 500, "sect_cue": 550, "denial_cue": 550}

# The second wave (drawn from units the first did not take): violence and doubt are used up, so
# threat leans on incitement and threat cues, the weakest label on real text; random stays above
# a third of the draw.
WAVE_QUOTAS = {
    2: ({"incitement": 200, "religion_hate": 250, "hate": 250, "accusation": 150, "fake": 150, "disagree": 200},
        {"threat_cue": 700, "sect_cue": 300, "denial_cue": 250}, 300, 1100),
}


@dataclass(frozen=True)
class Sampled:
    unit: Unit
    stratum: str


def cue_strata(text: str) -> list[str]:
    out = []
    if has_threat_cue(text):
        out.append("threat_cue")
    if has_sect_term(text):
        out.append("sect_cue")
    if has_denial_cue(text):
        out.append("denial_cue")
    return out


def draw(units: Sequence[Unit], random_n: int, news_n: int, seed: int = 2026,
         proxy_quotas: dict[str, int] | None = None, cue_quotas: dict[str, int] | None = None,
         exclude: frozenset[str] = frozenset()) -> list[Sampled]:
    """A stratified sample: proxy strata first, then cue strata, then ``news_n`` news units and
    ``random_n`` units of any source drawn uniformly from everything not yet taken (nor in
    ``exclude``: an earlier wave's ids). Deterministic for given arguments."""
    rng = random.Random(seed)
    taken: dict[str, Sampled] = {}
    units = [u for u in units if u.id not in exclude]

    def take(pool: list[Unit], n: int, stratum: str) -> None:
        pool = [u for u in pool if u.id not in taken]
        for u in rng.sample(pool, min(n, len(pool))):
            taken[u.id] = Sampled(u, stratum)

    for stratum, n in (PROXY_QUOTAS if proxy_quotas is None else proxy_quotas).items():
        take([u for u in units if stratum in u.proxies], n, f"proxy:{stratum}")
    for stratum, n in (CUE_QUOTAS if cue_quotas is None else cue_quotas).items():
        take([u for u in units if stratum in cue_strata(u.text)], n, f"cue:{stratum}")
    take([u for u in units if u.register == "news"], news_n, "random_news")
    take(list(units), random_n, "random")
    return list(taken.values())


def strata_counts(sample: Sequence[Sampled]) -> Counter:
    return Counter(s.stratum for s in sample)
