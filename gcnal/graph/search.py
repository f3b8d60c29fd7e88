r"""Exact and approximate :math:`k`-nearest-neighbour search by cosine
similarity: each pool item's :math:`k` most similar other items.

The exact ``"torch"`` search is blocked matmul + top-:math:`k` (memory
:math:`O(Nk)` plus one block, on the features' device); ``"faiss"`` and
``"faiss-approx"`` use faiss when it is installed.
"""
from __future__ import annotations

import math
from typing import Tuple

import torch
from torch import Tensor

from ..errors import MissingDependencyError
from ..nn import rows_per_block
from ..progress import progress_bar
from ..typing import WITH_FAISS
from ..validation import check_choice, check_int
from .cosine import l2_normalize

#: Most rows per block of similarities (fewer when :func:`~gcnal.nn.rows_per_block`
#: says so): a few hundred rows keep the similarity product near the BLAS
#: peak on a CPU; more only cost memory.
_BLOCK_ROWS = 512

#: Search backends of :func:`knn_search`.
KNN_BACKENDS = ("torch", "faiss", "faiss-approx", "ivf", "ivf-bf16")

#: Candidates per query that ``"ivf-bf16"`` re-ranks in float32, as a
#: multiple of :math:`k`.
RERANK_FACTOR = 2

#: ``"ivf-bf16"`` pads each product's query rows to a multiple of
#: :data:`_PAD_ROWS` and its candidate rows to one of :data:`_PAD_COLUMNS`
#: (zero rows, their results dropped or at :math:`-\infty`): a few dozen
#: shapes instead of one per list, so the bfloat16 kernels (oneDNN on CPUs,
#: which keeps a compiled kernel and its buffers per shape) are built a few
#: dozen times, not thousands.
_PAD_ROWS, _PAD_COLUMNS = 64, 1024

#: Lists probed by each list's queries in the ``"ivf"`` search.
IVF_PROBES = 16

#: Pool rows per inverted list that the ``"ivf"`` k-means is fitted on (a
#: seeded sample of them; faiss asks for 39 to 256 per centroid).
IVF_SAMPLE_PER_LIST = 64

#: Most Lloyd rounds of the ``"ivf"`` k-means.
IVF_ROUNDS = 10

#: Inverted lists probed per query by ``"faiss-approx"``.
FAISS_NPROBE = 16


def _block_top_k(block: Tensor, k: int) -> Tuple[Tensor, Tensor]:
    r"""Exact row-wise top-:math:`k` of a :math:`b \times N` block, without a
    full top-:math:`k` over :math:`N` columns.

    The first :math:`N - (N \bmod c)` columns are cut into :math:`m =
    \lfloor N / c \rfloor` chunks of :math:`c \approx \sqrt{N/k}`, chunk
    :math:`j` holding columns :math:`j, j + m, j + 2m, \dots` (a view, no
    copy: the chunk maxima are then an elementwise maximum of :math:`c`
    contiguous rows of :math:`m`, not a reduction over short runs); the
    last :math:`N \bmod c` columns form a tail. If :math:`\tau_i` is the
    :math:`k`-th largest chunk maximum of row :math:`i`, those :math:`k`
    chunks hold :math:`k` values :math:`\ge \tau_i`, so every top-:math:`k`
    value outside the tail lies in a chunk whose maximum is :math:`\ge
    \tau_i`: the top-:math:`k` chunks. A top-:math:`k` over their :math:`kc`
    values and the tail is exact and costs :math:`O(N/c + kc)` per row after
    one pass for the chunk maxima, instead of a partial sort over :math:`N`.
    """
    rows, n = block.shape
    chunk = max(1, int(math.sqrt(n / k)))
    num_chunks, tail = divmod(n, chunk)
    if num_chunks <= k:
        top = block.topk(k, dim=1)
        return top.values, top.indices
    body = block[:, :num_chunks * chunk].unflatten(1, (chunk, num_chunks))
    best = body.amax(dim=1).topk(k, dim=1).indices
    offsets = torch.arange(chunk, device=block.device) * num_chunks
    columns = (best.unsqueeze(2) + offsets).view(rows, -1)
    if tail:
        tail_columns = torch.arange(n - tail, n, device=block.device).expand(rows, tail)
        columns = torch.cat([columns, tail_columns], dim=1)
    top = torch.gather(block, 1, columns).topk(k, dim=1)
    return top.values, torch.gather(columns, 1, top.indices)


def knn_search(features: Tensor, k: int, backend: str = "torch", *,
               normalized: bool = False) -> Tuple[Tensor, Tensor]:
    r"""Each row's :math:`k` most cosine-similar other rows.

    Backends:

    - ``"torch"`` (exact): blocked, one block of :math:`b \times N`
      similarities at a time, so memory is :math:`O(Nk + bN)`. Time is the
      :math:`O(N^2 d)` of the similarity products plus a top-:math:`k` that
      reads each similarity about once (see :func:`_block_top_k`).
    - ``"faiss"`` (exact): faiss's ``IndexFlatIP`` on the L2-normalised rows
      (blocked BLAS products and a heap per query).
    - ``"faiss-approx"``: an inverted-file index (``IndexIVFFlat``) with
      :math:`\lceil\sqrt{N}\rceil` k-means lists (faiss's fixed seed, so
      deterministic), probing :data:`FAISS_NPROBE` lists per query: about
      :math:`O(N^{1.5} d \cdot \text{nprobe})` instead of :math:`O(N^2 d)`.
      Approximate: a neighbour in an unprobed list is missed (recall is
      measured in the tests).
    - ``"ivf"`` (torch, no faiss): the same inverted lists searched list by
      list with matrix products instead of query by query (see
      :func:`_ivf_search`); deterministic.
    - ``"ivf-bf16"``: ``"ivf"`` with the products in bfloat16 (2-3x the
      float32 rate on CPUs with bfloat16 units) and each query's
      :data:`RERANK_FACTOR` :math:`\cdot k` best candidates re-ranked by
      their float32 similarity: a neighbour is lost only where rounding the
      rows to bfloat16 (a relative error of :math:`2^{-8}`) moves it out of
      those candidates; deterministic.

    Time and recall of every backend: ``python -m benchmarks.scale knn-search``.

    faiss runs on the CPU (tensors on another device are copied there and
    back) with its own OpenMP threads (``faiss.omp_set_num_threads``).
    Self-matches are excluded.

    With ``normalized=True`` the rows are taken as already L2-normalised
    (a pool graph's ``vectors``) and used as they are, so a selection
    normalises its features once.

    Returns:
        ``(index, similarity)``, both :math:`(N, k)`, most similar first; where
        the approximate search found fewer than :math:`k` others, index
        ``-1`` and similarity :math:`-\infty`.
    """
    n = features.size(0)
    check_int(k, "k", "knn_search", low=1, high=n - 1, detail=f"fewer than the {n} items")
    check_choice(backend, "backend", KNN_BACKENDS, "knn_search")
    v = features.float() if normalized else l2_normalize(features.float())
    if backend in ("ivf", "ivf-bf16"):
        return _ivf_search(v, k, bfloat16=backend == "ivf-bf16")
    if backend != "torch":
        return _faiss_search(v, k, approximate=backend == "faiss-approx")
    index = torch.empty(n, k, dtype=torch.long, device=v.device)
    similarity = torch.empty(n, k, dtype=v.dtype, device=v.device)
    step = min(n, _BLOCK_ROWS, rows_per_block(n))
    # one block of similarities, reused from block to block (a fresh one per
    # block would be new memory from the operating system each time)
    buffer = torch.empty(step, n, dtype=v.dtype, device=v.device)
    for start in progress_bar(range(0, n, step), "kNN search"):
        stop = min(start + step, n)
        block = torch.matmul(v[start:stop], v.T, out=buffer[:stop - start])
        block.diagonal(offset=start).fill_(float("-inf"))
        similarity[start:stop], index[start:stop] = _block_top_k(block, k)
    return index, similarity


#: Rows (and columns) of a block of :func:`knn_similarities`: about a thousand
#: keep the block's products near the BLAS peak and the block within a
#: shared cache.
_PAIR_BLOCK = 1024


def knn_similarities(features: Tensor, k: int, *, normalized: bool = False) -> Tensor:
    r"""Each row's :math:`k` largest cosine similarities to the other rows,
    :math:`(N, k)`, largest first: the ``similarity`` of
    :func:`knn_search`'s exact ``"torch"`` search, without the indices, from
    half its products.

    :math:`S = VV^\top` is symmetric, so the rows are cut into blocks
    :math:`I` and each pair :math:`I \le J` is multiplied once, :math:`S_{IJ}
    = V_I V_J^\top`, serving rows :math:`I` (its rows) and rows :math:`J` (its
    columns). Each row keeps its :math:`k` largest values so far, first from
    its own block; :math:`\tau_i`, the :math:`k`-th of them, only rises, and
    an entry of a later block can enter row :math:`i`'s values only if
    :math:`S_{ij} > \tau_i` (an entry equal to :math:`\tau_i` leaves the
    :math:`k` values as they are), so only the entries above
    :math:`\min(\tau_i, \tau_j)` are read out and merged (about
    :math:`k \ln(N / b)` per row over the whole pass for a block of
    :math:`b` rows). The values are products of the same rows as
    :func:`knn_search`'s, so equal to its values wherever the BLAS sums a
    product's terms in the same order for both matrix shapes (on the CPU
    for blocks of tens of rows or more, compared bit for bit in the tests;
    tiny blocks may differ in the last bit). Self-matches are excluded.
    """
    n = features.size(0)
    check_int(k, "k", "knn_similarities", low=1, high=n - 1, detail=f"fewer than the {n} items")
    v = features.float() if normalized else l2_normalize(features.float())
    step = min(n, _PAIR_BLOCK)
    blocks = [(start, min(start + step, n)) for start in range(0, n, step)]
    best = torch.full((n, k), float("-inf"), dtype=v.dtype, device=v.device)
    for a, b in blocks:
        own = v[a:b] @ v[a:b].T
        own.fill_diagonal_(float("-inf"))
        found = min(k, b - a - 1)
        if found:
            best[a:b, :found] = _block_top_k(own, found)[0]
    pairs = [(i, j) for i in range(len(blocks)) for j in range(i + 1, len(blocks))]
    # one block of products and two of tests, reused from pair to pair (fresh
    # ones would be new memory from the operating system each time)
    products = torch.empty(step, step, dtype=v.dtype, device=v.device)
    above = torch.empty(step, step, dtype=torch.bool, device=v.device)
    above_columns = torch.empty_like(above)
    for i, j in progress_bar(pairs, "kNN search"):
        (a, b), (c, d) = blocks[i], blocks[j]
        block = torch.matmul(v[a:b], v[c:d].T, out=products[:b - a, :d - c])
        low, high = best[a:b, -1], best[c:d, -1]
        test = torch.gt(block, low[:, None], out=above[:b - a, :d - c])
        test |= torch.gt(block, high[None, :], out=above_columns[:b - a, :d - c])
        rows, columns = torch.nonzero(test, as_tuple=True)
        values = block[rows, columns]
        into_rows, into_columns = values > low[rows], values > high[columns]
        _merge_top_k(best[a:b], rows[into_rows], values[into_rows])
        _merge_top_k(best[c:d], columns[into_columns], values[into_columns])
    return best


def _merge_top_k(best: Tensor, rows: Tensor, values: Tensor) -> None:
    r"""In place, each row of ``best`` (its :math:`k` largest values so far,
    largest first) becomes the :math:`k` largest of itself and the
    ``values`` whose ``rows`` entry is that row."""
    if not rows.numel():
        return
    counts = torch.bincount(rows, minlength=best.size(0))
    order = torch.argsort(rows, stable=True)
    rows, values = rows[order], values[order]
    slot = torch.arange(rows.numel(), device=rows.device) - (counts.cumsum(0) - counts)[rows]
    grown = torch.full((best.size(0), best.size(1) + int(counts.max())), float("-inf"),
                       dtype=best.dtype, device=best.device)
    grown[:, :best.size(1)] = best
    grown[rows, best.size(1) + slot] = values
    best.copy_(grown.topk(best.size(1), dim=1).values)


def _faiss_search(v: Tensor, k: int, approximate: bool) -> Tuple[Tensor, Tensor]:
    r""":func:`knn_search` with faiss on unit rows ``v``: :math:`k + 1`
    neighbours per query, the query itself (wherever ties put it) dropped."""
    if not WITH_FAISS:
        raise MissingDependencyError("faiss-cpu", "faiss",
                                     "knn_backend='faiss' / 'faiss-approx'")
    import faiss

    n, d = v.shape
    data = v.detach().cpu().contiguous().numpy()
    if approximate:
        lists = max(1, math.ceil(math.sqrt(n)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(data)
        index.nprobe = min(FAISS_NPROBE, lists)
    else:
        index = faiss.IndexFlatIP(d)
    index.add(data)
    similarity, neighbours = (torch.from_numpy(a) for a in index.search(data, k + 1))
    neighbours = torch.where(neighbours < 0, n, neighbours)  # "not found" sorts last
    similarity = torch.where(neighbours == n, float("-inf"), similarity)
    # stable sort on (found, not found, self): keeps the similarity order and drops the
    # query itself, or the (k+1)-th neighbour when ties hid the query
    rank = (neighbours == n).to(torch.int8) + 2 * (neighbours == torch.arange(n)[:, None])
    order = torch.sort(rank, dim=1, stable=True).indices
    neighbours = torch.gather(neighbours, 1, order)[:, :k]
    similarity = torch.gather(similarity, 1, order)[:, :k]
    neighbours = torch.where(neighbours == n, -1, neighbours)
    return neighbours.to(v.device), similarity.to(v.device)


def _ivf_search(v: Tensor, k: int, bfloat16: bool = False) -> Tuple[Tensor, Tensor]:
    r""":func:`knn_search` on unit rows ``v`` by inverted lists, one list at
    a time.

    :math:`L = \lceil\sqrt{N}\rceil` centroids come from
    :func:`~gcnal.selectors.kmeans.kmeans` on :math:`64 L` rows
    (:data:`IVF_SAMPLE_PER_LIST` per list) drawn with a fixed seed, started
    from :math:`L` of them (at most :data:`IVF_ROUNDS` Lloyd rounds), and
    every row joins its nearest centroid's list. The queries of list :math:`c` are
    compared with every row of the :data:`IVF_PROBES` lists whose centroids
    are nearest :math:`c`'s (:math:`c` among them) in one matrix product per
    block of queries, followed by an exact top-:math:`k`
    (:func:`_block_top_k`). The products cost :math:`O(N \cdot
    \text{probes} \cdot (N/L) \cdot d)` like a query-by-query inverted-file
    search, but at matrix-product speed. Approximate: a query's neighbour
    outside its list's probed lists is missed; a list whose probed lists
    hold fewer than :math:`k` other rows pads with ``-1``.

    With ``bfloat16`` the products take bfloat16 copies of the rows, and the
    :data:`RERANK_FACTOR` :math:`\cdot k` largest of each query's row are
    re-ranked by their float32 similarities (:func:`_rerank`).
    """
    from ..selectors.kmeans import kmeans, nearest_centroid

    n, device = v.size(0), v.device
    lists = max(1, math.ceil(math.sqrt(n)))
    generator = torch.Generator(device=device).manual_seed(0)
    sample = torch.randperm(n, generator=generator, device=device)[:IVF_SAMPLE_PER_LIST * lists]
    centroids, _ = kmeans(v[sample], min(lists, sample.numel()), max_iter=IVF_ROUNDS,
                          seeded=False)
    lists = centroids.size(0)
    labels, _ = nearest_centroid(v, centroids)
    order = torch.sort(labels, stable=True).indices
    ordered = v[order]  # each list's rows contiguous
    ends = torch.bincount(labels, minlength=lists).cumsum(0).tolist()
    starts = [0] + ends[:-1]
    probed = nearest_centroid_lists(centroids, min(IVF_PROBES, lists))
    if bfloat16:  # _PAD_ROWS spare rows: a block may read past the last list
        searched = torch.zeros(n + _PAD_ROWS, v.size(1), dtype=torch.bfloat16, device=device)
        searched[:n] = ordered
    else:
        searched = ordered
    index = torch.full((n, k), -1, dtype=torch.long, device=device)
    similarity = torch.full((n, k), float("-inf"), dtype=v.dtype, device=device)
    for c in progress_bar(range(lists), "kNN search"):
        if starts[c] == ends[c]:
            continue
        spans = [(starts[p], ends[p]) for p in probed[c].tolist()]
        columns = torch.cat([torch.arange(a, b, device=device) for a, b in spans])
        width = _padded(columns.numel(), _PAD_COLUMNS) if bfloat16 else columns.numel()
        candidates = torch.zeros(width, v.size(1), dtype=searched.dtype, device=device)
        torch.cat([searched[a:b] for a, b in spans], out=candidates[:columns.numel()])
        found = min(k, columns.numel() - 1)
        shortlist = min(RERANK_FACTOR * k, columns.numel() - 1) if bfloat16 else found
        for start in range(starts[c], ends[c], _BLOCK_ROWS):
            stop = min(start + _BLOCK_ROWS, ends[c])
            height = _padded(stop - start, _PAD_ROWS) if bfloat16 else stop - start
            block = (searched[start:start + height] @ candidates.T)[:stop - start]
            block[:, columns.numel():] = float("-inf")
            # list c is probed first, so the queries' own columns are a diagonal
            offset = start - starts[c]
            block[:, offset:offset + stop - start].diagonal().fill_(float("-inf"))
            if found < 1:
                continue
            values, at = _block_top_k(block, shortlist)
            if bfloat16:
                values, at = _rerank(ordered[start:stop], ordered, columns[at], at, found)
            rows = order[start:stop]
            similarity[rows, :found] = values
            index[rows, :found] = order[columns[at]]
    return index, similarity


def _padded(size: int, multiple: int) -> int:
    """``size`` rounded up to a multiple of ``multiple``."""
    return -(-size // multiple) * multiple


def _rerank(queries: Tensor, rows: Tensor, candidate_rows: Tensor, at: Tensor,
            k: int) -> Tuple[Tensor, Tensor]:
    r"""The :math:`k` most similar of each query's shortlisted candidates by
    float32 similarity :math:`\mathbf{q}^\top \mathbf{r}_j`: ``queries``
    :math:`(b, d)`, ``candidate_rows`` :math:`(b, s)` their indices into
    ``rows``, ``at`` :math:`(b, s)` the positions to return for them."""
    shortlisted = rows.index_select(0, candidate_rows.view(-1)).view(*candidate_rows.shape, -1)
    exact = shortlisted.mul_(queries.unsqueeze(1)).sum(dim=2)
    top = exact.topk(k, dim=1)
    return top.values, torch.gather(at, 1, top.indices)


def nearest_centroid_lists(centroids: Tensor, probes: int) -> Tensor:
    r"""Each centroid's ``probes`` nearest centroids (itself first, ties to
    the lowest index) by squared Euclidean distance: :math:`(L, \text{probes})`."""
    sq = (centroids * centroids).sum(dim=1)
    distance = sq[:, None] - 2.0 * centroids @ centroids.T + sq[None, :]
    distance.fill_diagonal_(float("-inf"))
    return torch.sort(distance, dim=1, stable=True).indices[:, :probes]
