"""FAISS indexes of sentence vectors: which kind for how many vectors, building one, searching a subset."""
from __future__ import annotations

import math

import numpy as np


def choose_index_spec(n_vectors: int, flat_max: int) -> str:
    """The FAISS factory string for `n_vectors`: exact search while it is cheap, IVF with SQ8 above.

    Exact (flat) inner product up to `flat_max` vectors: a query scans n*d floats, ~10 ms at 50k.
    Above it, an inverted file of ~4*sqrt(n) lists with 8-bit scalar quantization (4x smaller than
    float32); queries probe `nprobe_for(nlist)` lists.

    >>> choose_index_spec(1000, 50_000), choose_index_spec(1_000_000, 50_000)
    ('Flat', 'IVF4096,SQ8')
    """
    if n_vectors <= flat_max:
        return "Flat"
    nlist = 2 ** round(math.log2(4 * math.sqrt(n_vectors)))
    nlist = max(64, min(nlist, n_vectors // 39))  # FAISS wants >= 39 training points per list
    return f"IVF{nlist},SQ8"


def nprobe_for(nlist: int) -> int:
    """Lists probed per query for an IVF index of `nlist` lists."""
    return max(8, nlist // 32)


def build_faiss(vectors: np.ndarray, spec: str):
    """Build a FAISS inner-product index of `spec` over unit vectors."""
    import faiss

    dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 1
    index = faiss.index_factory(dim, spec, faiss.METRIC_INNER_PRODUCT)
    if not index.is_trained:
        rng = np.random.default_rng(0)
        sample = vectors if len(vectors) <= 256 * 1024 else vectors[rng.choice(len(vectors), 256 * 1024, replace=False)]
        index.train(sample)
    if len(vectors):
        index.add(vectors)
    if spec.startswith("IVF"):
        faiss.extract_index_ivf(index).nprobe = nprobe_for(faiss.extract_index_ivf(index).nlist)
    return index


def search_params(index, ids: np.ndarray):
    """FAISS search parameters that restrict a search to the vector ids `ids` (an IVF index probes every list)."""
    import faiss

    selector = faiss.IDSelectorBatch(ids)
    try:
        ivf = faiss.extract_index_ivf(index)
    except RuntimeError:
        ivf = None
    if ivf is not None:
        # every list is probed: the allowed vectors may sit in any of them
        params = faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nlist)
    else:
        params = faiss.SearchParameters(sel=selector)
    params._selector = selector  # keep the selector alive as long as the parameters (SWIG holds a raw pointer)
    return params


def enable_reconstruction(index) -> None:
    """IVF indexes need a direct map (8 bytes a vector) to read vectors back by id."""
    import faiss

    try:
        faiss.extract_index_ivf(index).make_direct_map()
    except RuntimeError:
        pass  # not an IVF index: reconstruction works as it is
