"""The sample generator used by benchmarks and bundle tests always writes valid, varied files."""

from __future__ import annotations

from collections import Counter

from wufei_docs._samples import uscc_for, write_samples
from wufei_docs.loading import check, load_evaluation
from wufei_docs.scoring.score import score


def test_samples_validate_and_give_every_verdict(tmp_path) -> None:
    paths, evaluation_path = write_samples(tmp_path / "企业", 40, county="南康区")
    evaluation = load_evaluation(evaluation_path)
    verdicts = Counter()
    for path in paths:
        checked = check(path)
        assert checked.enterprise.unit.county == "南康区"
        verdicts[
            score(checked.enterprise, evaluation=evaluation.enterprises[checked.enterprise.unit.uscc]).verdict
        ] += 1
    assert set(verdicts) == {"达标", "未达标", "否决"}


def test_uscc_for_is_valid_and_distinct() -> None:
    from stdnum.cn import uscc

    codes = {uscc_for(i) for i in range(2000)}
    assert len(codes) == 2000 and all(uscc.is_valid(c) for c in codes)
