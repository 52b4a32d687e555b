/*
 * Time-chunked exact eligibility traces (docs/architecture.md, "Time-chunked traces"), for one sequence b of a layer.
 *
 * The forward pass of a chunk (t0, t1] records, per step r, neuron j and input channel, the local
 * Jacobians D (m×m), c (m), ψ (m) on the m stored components of ε, and the learning signal L.
 * Every trace is linear in those, so the chunk advances each synapse's state
 * Y = (ε ∈ R^m, ē, G, Σe, Σē) at once:
 *
 *     Y^{t1} = Ψ Y^{t0} + Σ_r W(r) x_i^r,     Ψ = M^{t1} ⋯ M^{t0+1},   W(r) = M^{t1} ⋯ M^{r+1} v^r
 *
 * with the one-step map M^r (ε ← Dε, ē ← κē + ψDε, each accumulator ← itself + α ē + β e) and the
 * input column v^r = (c, ψ·c, (α+β) ψ·c). Ψ and W are per neuron (O(K m³) per chunk); the
 * per-synapse tensors are read and written once per chunk, and the inputs enter only where
 * x_i^r ≠ 0 (spikes). Exact up to float reassociation; checked against the step-by-step kernel
 * (ChunkedTraceTests).
 *
 * Layouts in chunk mode, [n] innermost so that every loop runs over neurons j contiguously; record,
 * propagator and signal are the calling slice's rows, reused by one sequence after another:
 *   record      [K][width][n]          the entries of D (m·m), c (m), ψ (m) that are not constants, at
 *                                      record_row; overwritten by W: Wε (m), Wē, WG, WΣe, WΣē
 *   propagator  [2m·m + 6m + 3][n]       F (m·m), a (m), g (m), λ, gΣe (m), gΣē (m), λΣē, κ^K, then
 *                                      the constant entries of (D, c, ψ) as rows
 *   signal      [K][n]                  L
 *   shared_eps  [batch][n_pre][s]       the s leading components shared by all neurons: x̄ (presynaptic traces)
 *   eps         [batch][n_pre][m − s][n]  the per-synapse components
 *   ebar, ebarsum [batch][n_pre][n]
 *   grad, esum    [n_pre][n]            sums over the calling thread's sequences (they stay in cache)
 */
#include "plasticity_build.h"   /* first: contraction off for every function below, inline helpers too */
#include "PlasticityRuntime.h"

enum { MAX_COMPONENTS = PLASTICITY_CHUNK_MAX_COMPONENTS };

/* The loops over neurons j touch index j of every row only: no dependence between iterations.
 * With AVX-512 they run on 16 floats: clang prefers 256-bit vectors on such hosts, but these
 * loops are bound by stores (an input event adds a row to two rows of the synapse state), and
 * 512-bit stores halve them. The same floats (element-wise). This file only: TinyCC's row
 * primitives gained nothing from 512 bits and stay at 256 (docs/architecture.md, "Vector width"). */
#if defined(__clang__) && (defined(__AVX512F__) || defined(PLASTICITY_PORTABLE_CLONES))
#pragma clang attribute push(__attribute__((min_vector_width(512))), apply_to = function)
#define INDEPENDENT_ITERATIONS _Pragma("clang loop vectorize(assume_safety) vectorize_width(16)")
#define WIDE_LOOP _Pragma("clang loop vectorize_width(16)")
#elif defined(__clang__)
#define INDEPENDENT_ITERATIONS _Pragma("clang loop vectorize(assume_safety)")
#define WIDE_LOOP
#else
#define INDEPENDENT_ITERATIONS
#define WIDE_LOOP
#endif
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#if defined(__clang__)
/* The loops over j are vectorized in the copies specialized for a constant m (and shared); the
 * generic fallback copy (any m, inner loops of unknown trip count) is not, and clang says so for
 * each inlined copy. That copy serves the rarer sizes (coefficients: m >= 4; synapses: m >= 3).
 * ChunkedTraceTests runs both kinds of copy. */
#pragma clang diagnostic ignored "-Wpass-failed"
#endif

/* Ψ's rows (m·m + 4m + 3), then one row per entry of (D, c, ψ) (m·m + 2m) holding the constant
 * ones, so that the sweep reads every entry from a row. */
int plasticity_chunk_propagator_width(int m) { return 2 * m * m + 6 * m + 3; }

/* The events scratch of synapses(): the events' steps and their values (steps·n_pre each at
 * most) and the offsets per input (n_pre + 1). */
long plasticity_chunk_event_slots(int steps, int n_pre) { return 2L * steps * n_pre + n_pre + 1; }

/* The backward sweep r = t1 … t0+1 over one channel's record: W(r) in place of (D, c, ψ), and the
 * chunk's propagator Ψ. Row vectors of Ψ: ε-block F, ē-row (a, κ^{t1-r}), accumulator rows (g, λ). */
ALWAYS_INLINE void coefficients(const plasticity_chunk_args *c, const int m, const int sums_e, const int sums_ebar) {
    const int n = c->n, width = c->width;
    const float kappa = c->kappa;
    float *prop = c->propagator;
    float *F = prop, *A = F + m * m * n, *G = A + m * n, *lam = G + m * n, *GE = lam + n, *GS = GE + m * n;
    float *lamS = GS + m * n, *kpow = lamS + n, *fixed = kpow + n;
    const int entries = m * m + 2 * m;
    for (int e = 0; e < entries; ++e) if (c->record_row[e] < 0) for (int j = 0; j < n; ++j) fixed[e * n + j] = c->record_constant[e];
    for (int p = 0; p < m; ++p) for (int q = 0; q < m; ++q) for (int j = 0; j < n; ++j) F[(p * m + q) * n + j] = p == q ? 1.0f : 0.0f;
    for (long i = 0; i < (long)m * n; ++i) { A[i] = 0.0f; G[i] = 0.0f; GE[i] = 0.0f; GS[i] = 0.0f; }
    for (int j = 0; j < n; ++j) lam[j] = 0.0f;
    float power = 1.0f, summedLeak = 0.0f;   /* κ^{t1-r}, and λ of Σē (the same for every neuron) */
    for (int r = c->steps - 1; r >= 0; --r) {
        float *rec = c->record + (long)r * width * n;
        const float *L = c->signal + (long)r * n;
        const float *entry[MAX_COMPONENTS * MAX_COMPONENTS + 2 * MAX_COMPONENTS];
        for (int e = 0; e < entries; ++e) entry[e] = c->record_row[e] < 0 ? fixed + e * n : rec + c->record_row[e] * n;
        INDEPENDENT_ITERATIONS
        for (int j = 0; j < n; ++j) {
            float D[MAX_COMPONENTS * MAX_COMPONENTS], in[MAX_COMPONENTS], psi[MAX_COMPONENTS];
            for (int s = 0; s < m * m; ++s) D[s] = entry[s][j];
            for (int s = 0; s < m; ++s) { in[s] = entry[m * m + s][j]; psi[s] = entry[m * m + m + s][j]; }
            const float l = L[j], lg = lam[j] + l;
            float ah[MAX_COMPONENTS], gh[MAX_COMPONENTS], eh[MAX_COMPONENTS], sh[MAX_COMPONENTS];
            float wbar = 0.0f, wg = 0.0f, we = 0.0f, ws = 0.0f;
            for (int s = 0; s < m; ++s) {
                ah[s] = A[s * n + j] + power * psi[s];
                gh[s] = G[s * n + j] + lg * psi[s];
                eh[s] = sums_e ? GE[s * n + j] + psi[s] : 0.0f;
                sh[s] = sums_ebar ? GS[s * n + j] + (summedLeak + 1.0f) * psi[s] : 0.0f;
                wbar += ah[s] * in[s]; wg += gh[s] * in[s];
                if (sums_e) we += eh[s] * in[s];
                if (sums_ebar) ws += sh[s] * in[s];
            }
            for (int p = 0; p < m; ++p) {
                float w = 0.0f;
                for (int q = 0; q < m; ++q) w += F[(p * m + q) * n + j] * in[q];
                rec[p * n + j] = w;
            }
            rec[m * n + j] = wbar; rec[(m + 1) * n + j] = wg;
            if (sums_e) rec[(m + 2) * n + j] = we;
            if (sums_ebar) rec[(m + 3) * n + j] = ws;
            /* Ψ ← Ψ M^r: every row times D */
            for (int p = 0; p < m; ++p) {
                float row[MAX_COMPONENTS];
                for (int q = 0; q < m; ++q) row[q] = F[(p * m + q) * n + j];
                for (int q = 0; q < m; ++q) {
                    float f = 0.0f;
                    for (int s = 0; s < m; ++s) f += row[s] * D[s * m + q];
                    F[(p * m + q) * n + j] = f;
                }
            }
            for (int q = 0; q < m; ++q) {
                float a = 0.0f, g = 0.0f, e = 0.0f, t = 0.0f;
                for (int s = 0; s < m; ++s) {
                    const float d = D[s * m + q];
                    a += ah[s] * d; g += gh[s] * d;
                    if (sums_e) e += eh[s] * d;
                    if (sums_ebar) t += sh[s] * d;
                }
                A[q * n + j] = a; G[q * n + j] = g;
                if (sums_e) GE[q * n + j] = e;
                if (sums_ebar) GS[q * n + j] = t;
            }
            lam[j] = lg * kappa;
        }
        summedLeak = (summedLeak + 1.0f) * kappa;
        power *= kappa;
    }
    for (int j = 0; j < n; ++j) { lamS[j] = summedLeak; kpow[j] = power; }
}

/* fn(c, M, sums_e, sums_ebar): the Σe and Σē rows only when their accumulators are kept (c->esum,
 * c->ebarsum non-null). */
#define WITH_SUMS(fn, M) \
    do { if (c->esum) { if (c->ebarsum) fn(c, M, 1, 1); else fn(c, M, 1, 0); } \
         else { if (c->ebarsum) fn(c, M, 0, 1); else fn(c, M, 0, 0); } } while (0)
#define COEFFICIENTS(M) WITH_SUMS(coefficients, M)

HOT void plasticity_chunk_coefficients(const plasticity_chunk_args *c) {
    switch (c->m) {
    case 1: COEFFICIENTS(1); break;
    case 2: COEFFICIENTS(2); break;
    case 3: COEFFICIENTS(3); break;
    default: COEFFICIENTS(c->m); break;
    }
}

/* y[j] += a x[j] over n neurons. */
static inline void add_scaled(float *restrict y, const float *restrict x, int n, float a) {
    WIDE_LOOP
    for (int j = 0; j < n; ++j) y[j] += a * x[j];
}

/* y[j] += a_0 x_0[j], then += a_1 x_1[j], … for `rows` (1 to 4) rows: the floats of `rows` calls of
 * add_scaled in turn, with y read and written once. */
ALWAYS_INLINE void add_scaled_rows(float *restrict y, const float *const *x, const float *a, const int rows, int n) {
    const float *restrict x0 = x[0], *restrict x1 = x[rows > 1 ? 1 : 0], *restrict x2 = x[rows > 2 ? 2 : 0];
    const float *restrict x3 = x[rows > 3 ? 3 : 0];
    const float a0 = a[0], a1 = a[rows > 1 ? 1 : 0], a2 = a[rows > 2 ? 2 : 0], a3 = a[rows > 3 ? 3 : 0];
    WIDE_LOOP
    for (int j = 0; j < n; ++j) {
        float v = y[j] + a0 * x0[j];
        if (rows > 1) v = v + a1 * x1[j];
        if (rows > 2) v = v + a2 * x2[j];
        if (rows > 3) v = v + a3 * x3[j];
        y[j] = v;
    }
}

/* Row `offset` of each event's W(r) (at record + r · stride) times its value into y, events in
 * order, four at a time. */
ALWAYS_INLINE void add_event_rows(float *restrict y, const float *record, const int *step, const float *x, int count, long stride,
                                  long offset, int n) {
    for (int e = 0; e < count; e += 4) {
        const float *rows[4];
        const int k = count - e < 4 ? count - e : 4;
        for (int q = 0; q < k; ++q) rows[q] = record + step[e + q] * stride + offset;
        switch (k) {
        case 4: add_scaled_rows(y, rows, x + e, 4, n); break;
        case 3: add_scaled_rows(y, rows, x + e, 3, n); break;
        case 2: add_scaled_rows(y, rows, x + e, 2, n); break;
        default: add_scaled_rows(y, rows, x + e, 1, n); break;
        }
    }
}

/* One presynaptic index i: its synapses' start-of-chunk state through Ψ. Σe and Σē only when kept.
 * The first `shared` components are x̄_i (sp), the rest per synapse (ep, rows of n). */
ALWAYS_INLINE void propagate_row(const int n, const int m, const int shared, const int sums_e, const int sums_ebar,
                                 const float *F, const float *A, const float *G, const float *lam, const float *GE,
                                 const float *GS, const float *lamS, const float *kpow,
                                 float *sp, float *ep, float *eb, float *g, float *es, float *bs) {
    float xbar[MAX_COMPONENTS];
    for (int s = 0; s < shared; ++s) xbar[s] = sp[s];
    INDEPENDENT_ITERATIONS
    for (int j = 0; j < n; ++j) {
        float e[MAX_COMPONENTS];
        for (int s = 0; s < m; ++s) e[s] = s < shared ? xbar[s] : ep[(s - shared) * n + j];
        const float old = eb[j];
        float ge = lam[j] * old, ae = kpow[j] * old;
        for (int s = 0; s < m; ++s) { ge += G[s * n + j] * e[s]; ae += A[s * n + j] * e[s]; }
        g[j] += ge;
        if (sums_e) { float v = 0.0f; for (int s = 0; s < m; ++s) v += GE[s * n + j] * e[s]; es[j] += v; }
        if (sums_ebar) { float v = lamS[j] * old; for (int s = 0; s < m; ++s) v += GS[s * n + j] * e[s]; bs[j] += v; }
        eb[j] = ae;
        for (int p = shared; p < m; ++p) {
            float v = 0.0f;
            for (int q = 0; q < m; ++q) v += F[(p * m + q) * n + j] * e[q];
            ep[(p - shared) * n + j] = v;
        }
    }
    /* x̄_i, shared by all neurons: on the shared block D and c are constants that D never feeds from the
     * rest, so that block of F is the same for every neuron (neuron 0's) */
    for (int p = 0; p < shared; ++p) { float v = 0.0f; for (int q = 0; q < shared; ++q) v += F[(p * m + q) * n] * xbar[q]; sp[p] = v; }
}

/* One projection of sequence b, one presynaptic index i at a time: its synapses' start-of-chunk
 * state through Ψ, then the chunk's inputs x_i^r ≠ 0 through W(r), in step order, while the rows of
 * i are still in L1 (the same additions in the same order as a pass of Ψ over all i followed by
 * one of the inputs step by step, which read every input's rows back from L3). */
ALWAYS_INLINE void synapses(const plasticity_chunk_args *c, const int m, const int shared) {
    const int n = c->n, n_pre = c->n_pre, b = c->b, width = c->width, r_m = m - shared, steps = c->steps;
    const float *prop = c->propagator;
    const float *F = prop, *A = F + m * m * n, *G = A + m * n, *lam = G + m * n, *GE = lam + n, *GS = GE + m * n;
    const float *lamS = GS + m * n, *kpow = lamS + n;
    const long plane = (long)n_pre * n;
    float *xbar = c->shared_eps + (long)b * n_pre * shared;
    float *eps = c->eps + (long)b * n_pre * r_m * n;
    float *ebar = c->ebar + b * plane, *grad = c->grad;
    float *esum = c->esum, *ebarsum = c->ebarsum ? c->ebarsum + b * plane : 0;
    /* the chunk's inputs by presynaptic index: the nonzero x_i^r step by step, as the layer step
     * gathered them (step r: list[list_first[r] ..< list_first[r + 1]]), counting-sorted by i: the
     * events of i are [first[i], first[i+1]), their steps in order in event_step, their values in
     * event_value */
    const int *list_first = c->active_first, *list = c->active_list;
    int *event_step = c->events, *first = event_step + (long)steps * n_pre;
    float *event_value = (float *)(first + n_pre + 1);   /* 4-byte slots, as plasticity_chunk_event_slots counts */
    unsigned long long *profile = c->profile;
    for (int i = 0; i <= n_pre; ++i) first[i] = 0;
    for (int q = 0; q < list_first[steps]; ++q) first[list[q] + 1] += 1;
    for (int i = 0; i < n_pre; ++i) first[i + 1] += first[i];
    for (int r = 0; r < steps; ++r) {
        const float *x = c->pre + (long)r * c->pre_step_stride + (long)b * c->pre_sequence_stride;
        for (int q = list_first[r]; q < list_first[r + 1]; ++q) {
            const int i = list[q], e = first[i]++;
            event_step[e] = r; event_value[e] = x[i];
        }
    }
    PLASTICITY_LAP(profile, PLASTICITY_PHASE_GRADIENT_ACCUMULATION);   /* sorting the events is theirs */
    /* first[i] is now the end of i's events: the start of i + 1's */
    for (int i = 0; i < n_pre; ++i) {
        float *sp = xbar + (long)i * shared, *ep = eps + (long)i * r_m * n;
        float *eb = ebar + (long)i * n, *g = grad + (long)i * n;
        float *es = esum ? esum + (long)i * n : 0, *bs = ebarsum ? ebarsum + (long)i * n : 0;
        if (i + 1 < n_pre) {
            /* the next index's rows of this sequence's state, on their way from L3 while this index's carry and events run */
            for (int k = 0; k < n; k += 16) __builtin_prefetch(eb + n + k, 1);
            for (int k = 0; k < r_m * n; k += 16) __builtin_prefetch(ep + (long)r_m * n + k, 1);
        }
#define ROW(E, S) propagate_row(n, m, shared, E, S, F, A, G, lam, GE, GS, lamS, kpow, sp, ep, eb, g, es, bs)
        if (es) { if (bs) ROW(1, 1); else ROW(1, 0); }
        else { if (bs) ROW(0, 1); else ROW(0, 0); }
#undef ROW
        PLASTICITY_LAP(profile, PLASTICITY_PHASE_CHUNK_CARRY);
        /* i's events in step order: each adds x_i^r times the rows of W(r), row by row over all of them */
        const int begin = i > 0 ? first[i - 1] : 0, count = first[i] - begin;
        const int *at = event_step + begin;
        const float *x = event_value + begin, *record = c->record;
        const long stride = (long)width * n;
        for (int q = 0; q < count; ++q) for (int s = 0; s < shared; ++s) sp[s] += x[q] * record[at[q] * stride + (long)s * n];
        for (int s = shared; s < m; ++s) add_event_rows(ep + (long)(s - shared) * n, record, at, x, count, stride, (long)s * n, n);
        add_event_rows(eb, record, at, x, count, stride, (long)m * n, n);
        add_event_rows(g, record, at, x, count, stride, (long)(m + 1) * n, n);
        if (es) add_event_rows(es, record, at, x, count, stride, (long)(m + 2) * n, n);
        if (bs) add_event_rows(bs, record, at, x, count, stride, (long)(m + 3) * n, n);
        PLASTICITY_LAP(profile, PLASTICITY_PHASE_GRADIENT_ACCUMULATION);
    }
}

HOT void plasticity_chunk_synapses(const plasticity_chunk_args *c) {
    switch (c->m * 4 + c->shared) {
    case 4 + 0: synapses(c, 1, 0); break;
    case 4 + 1: synapses(c, 1, 1); break;
    case 8 + 0: synapses(c, 2, 0); break;
    case 8 + 1: synapses(c, 2, 1); break;
    case 8 + 2: synapses(c, 2, 2); break;
    default: synapses(c, c->m, c->shared); break;
    }
}

/* Synaptic delays in event form (docs/architecture.md, "Delays"). Input i reaches neuron j at lag
 * k_ji with weight w_ji (1 − f_ji) and at k_ji + 1 with w_ji f_ji. Each tap of each synapse keeps its
 * own state Y (that of an input x_i^{t − lag}), and a chunk moves it as any synapse's:
 *
 *     Y^{t1} = Ψ_j Y^{t0} + Σ_s W_j(s + lag_ji) x_i^s    over the events s whose arrival s + lag_ji is in the chunk,
 *
 * so an event costs one gathered W_j per neuron and tap, whatever D is; the events of the D + 1
 * steps before the chunk come from the delay line. The same sums as the tap form's columns at
 * those lags, in the order of s, up to float reassociation (EventDelayTests). No shared components:
 * the presynaptic trace of a delayed input differs per synapse. */
ALWAYS_INLINE void delayed_synapses(const plasticity_chunk_args *c, const int m, const int sums_e, const int sums_ebar) {
    const int n = c->n, n_pre = c->n_pre, b = c->b, steps = c->steps, offset = c->lag_offset, rows = c->history_rows;
    const float *prop = c->propagator;
    const float *F = prop, *A = F + m * m * n, *G = A + m * n, *lam = G + m * n, *GE = lam + n, *GS = GE + m * n;
    const float *lamS = GS + m * n, *kpow = lamS + n;
    const long plane = (long)n_pre * n, stride = (long)c->width * n;
    float *eps = c->eps + (long)b * n_pre * m * n, *ebar = c->ebar + b * plane, *grad = c->grad;
    float *esum = c->esum, *ebarsum = c->ebarsum ? c->ebarsum + b * plane : 0;
    const float *record = c->record;
    const long long first = c->first_step, from = first - c->max_lag > 0 ? first - c->max_lag : 0;
    unsigned long long *profile = c->profile;
    float unused[MAX_COMPONENTS];
    for (int i = 0; i < n_pre; ++i) {
        float *ep = eps + (long)i * m * n, *eb = ebar + (long)i * n, *g = grad + (long)i * n;
        float *es = esum ? esum + (long)i * n : 0, *bs = ebarsum ? ebarsum + (long)i * n : 0;
        propagate_row(n, m, 0, sums_e, sums_ebar, F, A, G, lam, GE, GS, lamS, kpow, unused, ep, eb, g, es, bs);
        PLASTICITY_LAP(profile, PLASTICITY_PHASE_CHUNK_CARRY);
        const int *lag = c->lag + (long)i * n;
        for (long long s = from; s < first + steps; ++s) {
            const float x = c->history[(s % rows) * c->history_stride + i];
            if (x == 0.0f) continue;
            const int at = (int)(s - first) + offset;   /* the chunk's row of arrival at lag 0 */
            /* rows of W gathered per neuron (each at its own arrival), the state's rows contiguous */
            INDEPENDENT_ITERATIONS
            for (int j = 0; j < n; ++j) {
                const int r = at + lag[j];
                if ((unsigned)r >= (unsigned)steps) continue;
                const float *w = record + r * stride + j;
                for (int q = 0; q < m; ++q) ep[(long)q * n + j] += x * w[(long)q * n];
                eb[j] += x * w[(long)m * n];
                g[j] += x * w[(long)(m + 1) * n];
                if (sums_e) es[j] += x * w[(long)(m + 2) * n];
                if (sums_ebar) bs[j] += x * w[(long)(m + 3) * n];
            }
        }
        PLASTICITY_LAP(profile, PLASTICITY_PHASE_GRADIENT_ACCUMULATION);
    }
}

#define DELAYED(M) WITH_SUMS(delayed_synapses, M)

HOT void plasticity_chunk_synapses_delayed(const plasticity_chunk_args *c) {
    switch (c->m) {
    case 1: DELAYED(1); break;
    case 2: DELAYED(2); break;
    default: DELAYED(c->m); break;
    }
}

/* The step's input events x[active[q]] of a projection with synaptic delays in event form: each
 * adds w (1 − f) to the ring row of its arrival step + k_ji and w f to the next, per neuron j; then
 * the current of `step` is its row (added to `current` when accumulating), which is cleared for
 * step + rows. rows = D + 2 keeps every pending arrival apart from the row being read. */
HOT void plasticity_delay_arrivals(float *restrict current, float *restrict ring, int rows, long long step, const float *restrict x,
                                   const int *restrict active, int count, const int *restrict lag, const float *restrict low,
                                   const float *restrict high, int n, int accumulate) {
    const int now = (int)(step % rows);
    for (int q = 0; q < count; ++q) {
        const int i = active[q];
        const float xi = x[i];
        const int *k = lag + (long)i * n;
        const float *lo = low + (long)i * n, *hi = high + (long)i * n;
        /* neuron j writes only column j of the ring's rows: no two iterations touch one float */
        INDEPENDENT_ITERATIONS
        for (int j = 0; j < n; ++j) {
            int r = now + k[j];
            if (r >= rows) r -= rows;
            const int next = r + 1 == rows ? 0 : r + 1;
            ring[(long)r * n + j] += lo[j] * xi;
            ring[(long)next * n + j] += hi[j] * xi;
        }
    }
    float *row = ring + (long)now * n;
    if (accumulate) { for (int j = 0; j < n; ++j) current[j] += row[j]; }
    else { for (int j = 0; j < n; ++j) current[j] = row[j]; }
    for (int j = 0; j < n; ++j) row[j] = 0.0f;
}

/* A thread's chunk accumulators into the kernel's outputs, transposed ([n_pre][n] → [n][n_pre]),
 * and zeroed: the gradient and Σe (sums over the batch), then Σē of sequences b … b_end − 1. */
static void flush_plane(float *restrict dst, float *restrict src, int n, int n_pre) {
    if (dst) for (int j = 0; j < n; ++j) for (int i = 0; i < n_pre; ++i) dst[(long)j * n_pre + i] += src[(long)i * n + j];
    for (long i = 0; i < (long)n_pre * n; ++i) src[i] = 0.0f;
}

HOT void plasticity_chunk_flush(const plasticity_chunk_args *c, float *grad_out, float *esum_out, float *ebarsum_out) {
    const int n = c->n, n_pre = c->n_pre;
    const long plane = (long)n_pre * n;
    flush_plane(grad_out, c->grad, n, n_pre);
    if (c->esum) flush_plane(esum_out, c->esum, n, n_pre);
    if (c->ebarsum) for (int b = c->b; b < c->b_end; ++b) flush_plane(ebarsum_out ? ebarsum_out + b * plane : 0, c->ebarsum + b * plane, n, n_pre);
}

/* The readout's weight gradient over one sequence's chunk of K steps, Σ_t err_o^t z̄_j^t with the
 * filtered spikes z̄^t = κ z̄^{t−1} + z^t, added once per chunk and only where the last layer spiked:
 *
 *     Σ_t err^t z̄^t = κ ẽ(0) z̄^{start} + Σ_r ẽ(r) z^r,    ẽ(r) = Σ_{t ≥ r} κ^{t−r} err^t (within the chunk)
 *
 * so the step's dense n_out × n product becomes n_out additions per spike (R: 2560 multiplies a
 * step → about 125). Exact up to float reassociation. error [K][n_out] (0 on steps without a loss)
 * becomes ẽ; grad [n_out][n]; spikes [K+1][n], row r+1 = step r of the chunk (row 0: before it);
 * zbar_start [n]: z̄ before the chunk; active: scratch of n indices. */
HOT void plasticity_chunk_readout(float *restrict grad, float *restrict error, const float *restrict spikes, const float *restrict zbar_start,
                              int steps, int n, int n_out, float kappa, int *restrict active) {
    for (int r = steps - 2; r >= 0; --r) {
        float *now = error + (long)r * n_out;
        const float *later = now + n_out;
        for (int o = 0; o < n_out; ++o) now[o] += kappa * later[o];
    }
    for (int o = 0; o < n_out; ++o) add_scaled(grad + (long)o * n, zbar_start, n, kappa * error[o]);
    for (int r = 0; r < steps; ++r) {
        const float *z = spikes + (long)(r + 1) * n, *filtered = error + (long)r * n_out;
        const int count = plasticity_nonzero(z, n, active);
        for (int q = 0; q < count; ++q) {
            const int j = active[q];
            const float zj = z[j];
            for (int o = 0; o < n_out; ++o) grad[(long)o * n + j] += filtered[o] * zj;
        }
    }
}

#if defined(__clang__) && (defined(__AVX512F__) || defined(PLASTICITY_PORTABLE_CLONES))
#pragma clang attribute pop
#endif
