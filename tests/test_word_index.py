"""The catalog's word index at scale: a query scored in full, or for a few images only, gives each
image the tf-idf score a direct count gives, and the ranking's top is that of a full stable sort."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from evidence_check.catalog import words as catalog_words
from evidence_check.catalog.registry import _best
from evidence_check.catalog.words import WordIndex

VOCABULARY = 512


@pytest.fixture(scope="module")
def catalog() -> list[np.ndarray]:
    """5,000 images of 40-200 distinct words each, common words commoner (as real words are)."""
    rng = np.random.default_rng(7)
    popularity = 1 / np.arange(1, VOCABULARY + 1)
    popularity /= popularity.sum()
    return [
        np.unique(rng.choice(VOCABULARY, int(rng.integers(40, 200)), p=popularity)).astype(np.int32)
        for _ in range(5000)
    ]


def _direct(images: list[np.ndarray], words: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each image's score counted from its own words: Σ over shared words of weight · idf² / |image|."""
    df = np.bincount(np.concatenate(images), minlength=VOCABULARY)
    idf = np.log((len(images) + 1) / (df + 1))
    query = dict(zip(words.tolist(), weights.tolist(), strict=True))
    return np.array(
        [
            sum(query.get(w, 0.0) * idf[w] ** 2 for w in image.tolist()) / np.sqrt((idf[image] ** 2).sum())
            for image in images
        ]
    )


def test_a_query_scores_every_image_as_its_shared_words_say(catalog: list[np.ndarray]) -> None:
    index = WordIndex(catalog, VOCABULARY)
    rng = np.random.default_rng(1)
    for _ in range(3):
        words = np.unique(rng.integers(0, VOCABULARY, 150)).astype(np.int32)
        weights = rng.random(len(words))
        assert np.allclose(index.scores(words, weights), _direct(catalog, words, weights), rtol=1e-5)


def _scatter_added(index: WordIndex, words: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """The scan as a scatter-add over the query's joined posting lists (`np.bincount`): each image's
    products of posting weight and query weight summed in float64, word by word, posting by posting."""
    arrays = index.arrays()
    offsets, postings, posting_weights = arrays["offsets"], arrays["postings"], arrays["weights"]
    spans = [(int(offsets[w]), int(offsets[w + 1])) for w in words]
    posted = np.concatenate([posting_weights[s:e] for s, e in spans]).astype(np.float64)
    if weights is not None:
        posted = posted * np.repeat(weights, [e - s for s, e in spans])
    owners = np.concatenate([postings[s:e] for s, e in spans])
    return np.bincount(owners, weights=posted, minlength=index.size)


def test_the_sparse_scan_gives_the_scatter_adds_scores_to_the_bit(catalog: list[np.ndarray]) -> None:
    """Same products added in the same order (per image, by word then posting), so the same float64
    sums: equal to the last bit, not merely close (the ranking's ties depend on it)."""
    index = WordIndex(catalog, VOCABULARY)
    rng = np.random.default_rng(11)
    for query in (catalog[8], np.unique(rng.integers(0, VOCABULARY, 300)).astype(np.int32)):
        for weights in (None, rng.random(len(query))):
            scores = index.scores(query, weights)
            assert np.count_nonzero(scores) > len(catalog) // 2  # common words: most images touched
            assert np.array_equal(scores, _scatter_added(index, query, weights))


@pytest.mark.parametrize("chunk", [61, 1000, 4096])
def test_a_scan_joined_chunk_by_chunk_gives_the_same_scores_to_the_bit(
    catalog: list[np.ndarray], chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of the joined postings end inside a word's posting list as often as not: each image's
    products are still added in one order, so the scores are those of one scatter-add."""
    index = WordIndex(catalog, VOCABULARY)
    query = catalog[8]
    weights = np.random.default_rng(chunk).random(len(query))
    monkeypatch.setattr(catalog_words, "CHUNK", chunk)
    postings = int(sum(np.diff(index.arrays()["offsets"])[query]))
    assert postings > 20 * chunk  # many chunks, most of them ending inside a word's postings
    for query_weights in (None, weights):
        assert np.array_equal(index.scores(query, query_weights), _scatter_added(index, query, query_weights))


@pytest.mark.parametrize("edge", ["a word's end", "inside a word", "one posting"])
def test_a_chunk_ending_where_a_word_s_postings_end_or_inside_a_longer_word_scores_to_the_bit(
    edge: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chunk's size set on the query's own posting lists, so that its boundaries fall exactly at
    a word's last posting, inside a word held by every image (longer than a chunk), or after every
    posting; the query also asks for words no image holds (empty lists)."""
    rng = np.random.default_rng(5)
    images = [np.unique(np.r_[0, rng.integers(1, 60, 12)]).astype(np.int32) for _ in range(300)]
    index = WordIndex(images, 64)  # words 60-63: no image's
    query = np.arange(64, dtype=np.int32)
    lengths = np.diff(index.arrays()["offsets"])
    assert lengths[0] == 300 and not lengths[60:].any()
    chunk = {"a word's end": int(lengths[:3].sum()), "inside a word": 300 // 3 + 1, "one posting": 1}[edge]
    monkeypatch.setattr(catalog_words, "CHUNK", chunk)
    weights = np.random.default_rng(3).random(len(query))
    for query_weights in (None, weights):
        assert np.array_equal(index.scores(query, query_weights), _scatter_added(index, query, query_weights))
    assert not index.scores(np.zeros(0, np.int32)).any()


@pytest.mark.parametrize("count", [1, 5, 40, 2000])
def test_a_few_images_scored_alone_get_the_full_scans_scores_to_the_bit(catalog: list[np.ndarray], count: int) -> None:
    index = WordIndex(catalog, VOCABULARY)
    rng = np.random.default_rng(count)
    among = np.unique(rng.integers(0, len(catalog), count))
    for query in (catalog[3], np.unique(rng.integers(0, VOCABULARY, 60)).astype(np.int32)):
        for weights in (None, rng.random(len(query))):
            full = index.scores(query, weights)
            alone = index.scores(query, weights, among=among)
            # Each image looked for only in the posting lists of the words it holds.
            held = index.scores(query, weights, among=among, among_words=lambda: [catalog[i] for i in among])
            assert np.array_equal(alone[among], full[among])
            assert np.array_equal(held[among], full[among])
            assert full[among].max() > 0  # the images share words with the query: there is something to get wrong


def test_images_looked_for_by_the_words_they_hold_miss_none_of_their_postings(catalog: list[np.ndarray]) -> None:
    """The words an image holds decide which posting lists are searched for it: told fewer words than
    it holds, it loses their postings' share (so the pairs skipped are those and only those)."""
    index = WordIndex(catalog, VOCABULARY)
    among = np.array([3, 70, 900])
    query = catalog[3]
    full = index.scores(query, among=among)
    told = [catalog[3], catalog[70][::2], catalog[900]]
    scored = index.scores(query, among=among, among_words=lambda: told)
    assert np.array_equal(scored[[3, 900]], full[[3, 900]])
    assert 0 < scored[70] < full[70]


def test_the_words_of_images_too_many_to_search_are_not_read(catalog: list[np.ndarray]) -> None:
    """Reading a whole brand's words costs more than the scan they would spare: asked for only when
    the images are few enough to be searched for."""
    index = WordIndex(catalog, VOCABULARY)
    asked: list[int] = []

    def words_of(among: np.ndarray) -> list[np.ndarray]:
        asked.append(len(among))
        return [catalog[i] for i in among]

    for among in (np.array([3, 70, 900]), np.arange(0, 5000, 2)):
        index.scores(catalog[3], among=among, among_words=lambda among=among: words_of(among))
    assert asked == [3]


def test_the_best_scores_come_as_a_stable_sort_orders_them_ties_and_all() -> None:
    rng = np.random.default_rng(5)
    for _ in range(300):
        scores = rng.integers(0, int(rng.integers(1, 30)), int(rng.integers(1, 5000))).astype(float)
        count = int(rng.integers(1, 150))
        assert np.array_equal(_best(scores, count), np.argsort(-scores, kind="stable")[:count])


def test_queries_joined_into_kept_buffers_score_as_each_alone(catalog: list[np.ndarray]) -> None:
    """The scan joins a query's postings into buffers kept between queries: a short query after a
    long one, and queries from several threads at once, get the scores each gets first in a process."""
    index = WordIndex(catalog, VOCABULARY)
    rng = np.random.default_rng(3)
    queries = [np.unique(rng.integers(0, VOCABULARY, size)).astype(np.int32) for size in (400, 20, 300, 5, 400)]
    expected = [_scatter_added(index, query, None) for query in queries]
    assert [np.array_equal(index.scores(query), want) for query, want in zip(queries, expected, strict=True)] == [
        True
    ] * len(queries)
    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            found = list(pool.map(index.scores, queries * 4))
            assert all(np.array_equal(got, want) for got, want in zip(found, expected * 4, strict=True))
