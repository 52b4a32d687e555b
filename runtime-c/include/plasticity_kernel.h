/*
 * Plasticity kernel ABI.
 *
 * Every generated kernel includes this header; the Swift runtime imports it to fill the argument
 * structs. It must compile under TinyCC without any system header, so it uses only built-in types
 * and declares the few libm functions generated code may call (the Swift runtime hands TinyCC
 * their addresses; see plasticity_runtime_symbols()).
 *
 * Layouts (row-major, last index contiguous):
 *   input               [n_steps][batch][n_in]      presynaptic activity x^t
 *   state, psi          [batch][n][k]               h^{t-1} -> h^t, ψ^{t-1} -> ψ^t
 *   spike               [batch][n]                  z^{t-1} -> z^t (the layer output)
 *   params              [P][n]                      learnable per-neuron parameters
 *   weights[p]          [n][n_pre]                  one matrix per projection p
 *   eligibility_vector  ε of projection p, m_p components: the s_p shared ones first (constant D and c
 *                       on a block D never feeds from the rest: ε_ji = x̄_i, a presynaptic trace), then
 *                       the r_p = m_p − s_p per-synapse ones:
 *                         x̄ [batch][n_pre][s_p]; x̄ of the previous step [batch][n_pre][s_p] when r_p > 0;
 *                         ε per synapse [batch][n][n_pre][r_p]
 *   eligibility_trace   [batch][n][n_pre]           ē = κ ē + ψ·ε
 *   param_eligibility_vector [batch][n][M]          ε for learnable parameters (M components in all)
 *   param_eligibility_trace  [batch][n][P]
 *   weights_transposed[p] [n_pre][n]                Wᵀ, refreshed by the caller before each call (event-driven input adds rows)
 *   work                [batch][rows][n]            scratch rows: channel currents (C), next spikes, the neuron
 *                                                   body's rows; a call uses only the block of its batch_begin
 *   active              [max(Σ_p n_pre, n)]         scratch: active presynaptic indices (event-driven input); a
 *                                                   network kernel's readout also gathers the last layer's spikes in it
 *
 * Chunk mode (network kernels with chunk_steps = K > 0; runtime-c/plasticity_chunk.c): the forward
 * pass records the local Jacobians of K steps and the traces advance once per chunk. Then the
 * per-synapse tensors are neuron-innermost (every chunk loop runs over j):
 *   eligibility_vector  the shared blocks as above, then ε per synapse [batch][n_pre][r_p][n]
 *   eligibility_trace   [batch][n_pre][n]
 */
#ifndef PLASTICITY_KERNEL_H
#define PLASTICITY_KERNEL_H

#define PLASTICITY_ABI_VERSION 17
/* The distributions of noise sources (plasticity_noise_fill). */
#define PLASTICITY_NOISE_NORMAL 0
#define PLASTICITY_NOISE_UNIFORM 1
#define PLASTICITY_MAX_PROJECTIONS 8
#define PLASTICITY_SOURCE_INPUT 0
#define PLASTICITY_SOURCE_RECURRENT 1

#define PLASTICITY_CHUNK_MAX_COMPONENTS 8

/* Profiling (plasticity bench network --profile; docs/benchmarks.md, "Roofline"): when a call's
 * `profile` is non-null, the kernel adds each phase's time-stamp-counter cycles to its slot, and
 * the presynaptic events each layer gathered. A phase's time is the span from the previous phase's
 * end (slot PLASTICITY_PROFILE_LAST) to its own, so the phases add up to the whole call. */
#define PLASTICITY_PHASE_INPUT_GATHER 0         /* nonzero inputs of the layer's input projections and their currents */
#define PLASTICITY_PHASE_RECURRENT_GATHER 1     /* the same for recurrent projections */
#define PLASTICITY_PHASE_NEURON_BODY 2          /* neuron update, stores, records, noise */
#define PLASTICITY_PHASE_READOUT_LOSS 3         /* readout, loss, readout gradients */
#define PLASTICITY_PHASE_LEARNING_SIGNAL 4
#define PLASTICITY_PHASE_TRACE_PROPAGATION 5    /* step mode: traces per step; chunked: the backward sweep */
#define PLASTICITY_PHASE_GRADIENT_ACCUMULATION 6    /* chunked: per presynaptic event, and the flush */
#define PLASTICITY_PHASE_CHUNK_CARRY 7          /* chunked: every synapse's state through the chunk's propagator */
#define PLASTICITY_PHASE_OTHER 8                /* finiteness checks, chunk-row copies, loop overhead */
#define PLASTICITY_PHASES 9
#define PLASTICITY_PROFILE_EVENTS 9             /* + 2l: layer l's input events; + 2l + 1: its recurrent events */
#define PLASTICITY_PROFILE_LAST 17              /* the counter at the last phase's end */
#define PLASTICITY_PROFILE_SLOTS 18
static inline unsigned long long plasticity_ticks(void) {
#if defined(__x86_64__)
    unsigned int low, high;
    __asm__ __volatile__("rdtsc" : "=a"(low), "=d"(high));
    return ((unsigned long long)high << 32) | low;
#else
    return 0;   /* no profile on other hosts: every phase reads 0 */
#endif
}
/* Ends a phase: the cycles since the last phase's end go to `phase`. */
#define PLASTICITY_LAP(profile, phase) \
    do { if (profile) { const unsigned long long now_ = plasticity_ticks(); \
         (profile)[phase] += now_ - (profile)[PLASTICITY_PROFILE_LAST]; (profile)[PLASTICITY_PROFILE_LAST] = now_; } } while (0)

/* One call of the chunk primitives: projection (or channel) data of one sequence b. */
typedef struct plasticity_chunk_args {
    int n, n_pre, m, width, steps, b, b_end;   /* steps: this chunk's; b_end: flush only */
    int shared;                 /* the leading components of ε that are presynaptic traces (s_p) */
    float kappa;
    /* record, propagator, signal: the calling slice's rows, reused by each of its sequences in turn */
    float *record;              /* [K][width][n]: the recorded entries of D, c, ψ per step; then W */
    const int *record_row;      /* [m·m + 2m]: the record row of entry e of (D row-major, c, ψ); −1: constant */
    const float *record_constant;   /* [m·m + 2m]: the values of the constant entries */
    float *propagator;          /* [2m·m + 6m + 3][n]: Ψ's rows, then the constant entries as rows */
    const float *signal;        /* [K][n]: learning signal L */
    const float *pre;           /* presynaptic activity of the chunk's first step, sequence 0: a row of n_pre */
    long pre_step_stride;       /* floats from one step's row to the next */
    long pre_sequence_stride;   /* floats from one sequence's row to the next */
    float *shared_eps;          /* [batch][n_pre][shared]: x̄ */
    float *eps, *ebar;          /* chunk-mode layouts; eps: the per-synapse components */
    float *grad;                /* [n_pre][n]: Σ L ē of the current call over this thread's sequences */
    float *esum;                /* optional [n_pre][n]: Σ e, likewise */
    float *ebarsum;             /* optional [batch][n_pre][n]: Σ ē per sequence */
    int *events;                /* scratch of plasticity_chunk_event_slots(steps, n_pre) ints: the chunk's inputs by index */
    /* Synaptic delays in event form (plasticity_chunk_synapses_delayed; 0 otherwise): the state of
     * tap k_ji + lag_offset of every synapse, fed by the input events of the steps whose arrival
     * through that tap falls in the chunk, read from the layer's delay line. */
    const int *lag;             /* [n_pre][n]: k_ji, the whole part of the delay */
    int lag_offset;             /* 0: the tap k_ji (weight w (1 − f)); 1: the tap k_ji + 1 (weight w f) */
    int max_lag;                /* D + 1: the longest tap */
    const float *history;       /* sequence b's delay line: step s in row s mod history_rows */
    int history_rows, history_stride;
    long long first_step;       /* the chunk's first step, counted from the sequence's start */
    /* the nonzero inputs of each step, as the layer step gathered them for its currents (synapses
     * only): step r's indices are active_list[active_first[r] ..< active_first[r + 1]], in order */
    const int *active_first, *active_list;
    unsigned long long *profile;    /* optional [PLASTICITY_PROFILE_SLOTS] */
} plasticity_chunk_args;
typedef void (*plasticity_chunk_fn)(const plasticity_chunk_args *);
/* Synaptic delays in event form: the current arriving at neurons 0..n-1 at `step`, from the input
 * events x[active[0..count)] of that step scattered into a ring of rows (plasticity_delay_arrivals
 * in plasticity_chunk.c). */
typedef void (*plasticity_arrivals_fn)(float *current, float *ring, int rows, long long step, const float *x, const int *active,
                                       int count, const int *lag, const float *low, const float *high, int n, int accumulate);
typedef void (*plasticity_chunk_flush_fn)(const plasticity_chunk_args *, float *grad, float *esum, float *ebarsum);
/* The readout's weight gradient of one sequence's chunk, folded onto the last layer's spikes
 * (plasticity_chunk_readout in plasticity_chunk.c). */
typedef void (*plasticity_chunk_readout_fn)(float *grad, float *error, const float *spikes, const float *zbar_start,
                                            int steps, int n, int n_out, float kappa, int *active);

typedef struct plasticity_layer_args {
    int batch, n_in, n, n_steps;
    float kappa;                    /* leak of the filtered eligibility ē */
    const float *input;
    float *state;
    float *spike;
    float *psi;
    const float *params;
    const float *weights[PLASTICITY_MAX_PROJECTIONS];
    const float *weights_transposed[PLASTICITY_MAX_PROJECTIONS];
    float *eligibility_vector[PLASTICITY_MAX_PROJECTIONS];
    float *eligibility_trace[PLASTICITY_MAX_PROJECTIONS];
    float *param_eligibility_vector;
    float *param_eligibility_trace;
    float *work;
    float *output_record;           /* optional [n_steps][batch][n] */
    float *state_record;            /* optional [n_steps][batch][n][k] */
    /* Optional sums over steps (each may be 0), for losses that are not per step: */
    float *spike_count;                                     /* [n]: Σ_{t,b} z (firing rates) */
    float *eligibility_sum[PLASTICITY_MAX_PROJECTIONS];     /* [n][n_pre]: Σ_{t,b} e = ψ·ε */
    float *eligibility_trace_sum[PLASTICITY_MAX_PROJECTIONS];  /* [batch][n][n_pre]: Σ_t ē */
    float *param_eligibility_sum;                           /* [n][P]: Σ_{t,b} (ψ·ε_θ + ∂z/∂θ) */
    float *param_eligibility_trace_sum;                     /* [batch][n][P]: Σ_t ē_θ */
    float *instant_gain;            /* optional [batch][n]: ∂z^t/∂I^t = ψ·c of projection 0's channel */
    int *active;                    /* scratch [Σ_p n_pre]: indices of nonzero presynaptic activity */
    float *synapses_live;           /* [batch][n], step mode: 0 while every per-synapse row (ε, ē) of neuron j is exactly
                                       zero; such rows stay zero, and are skipped, while ψ (and what feeds ε from x̄ or x) is
                                       zero — neurons far from threshold under a bounded surrogate. Zero at a sequence start. */
    int spike_is_initial;           /* 1: `spike` holds the sequence's initial z^{-1} (a constant, no derivative);
                                       0: it was emitted by the previous step */
    unsigned long long noise_seed;  /* noise sources: the key of this layer and batch of sequences */
    long long noise_step;           /* the step since the sequences began of this call's t = 0 (noise keys, delay lines) */
    int batch_begin, batch_end;     /* the sequences b in [begin, end) this call advances (threads take slices);
                                       every [batch] layout keeps its full stride */
    /* Chunk mode (0 when off): */
    int chunk_steps;                /* K */
    int chunk_first;                /* the step t0 the current chunk starts at */
    /* A chunk runs one sequence at a time, so the chunk rows are scratch of the slice: a call uses the
     * block of its batch_begin, for each of its sequences in turn, and that block stays in cache. */
    float *chunk_record[PLASTICITY_MAX_PROJECTIONS];       /* [batch][K][width][n] per projection; projections on one channel share it */
    float *chunk_propagator[PLASTICITY_MAX_PROJECTIONS];   /* [batch][2m·m + 6m + 3][n] */
    float *chunk_signal;            /* [batch][K][n] */
    float *chunk_spikes;            /* [batch][K+1][n]: z^{t0-1}, z^{t0}, …: the presynaptic rows of the chunk */
    float *chunk_gradient[PLASTICITY_MAX_PROJECTIONS];     /* [n_pre][n], private to the calling thread */
    float *chunk_eligibility_sum[PLASTICITY_MAX_PROJECTIONS];        /* optional, [n_pre][n], private likewise */
    float *chunk_eligibility_trace_sum[PLASTICITY_MAX_PROJECTIONS];  /* optional, [batch][n_pre][n] */
    int *chunk_events;              /* private to the calling thread: per projection with a trace, the step's lists of nonzero
                                     * inputs ((K + 1) offsets, K·n_pre indices; KernelLayout.chunkListSlots), then the
                                     * synapse pass's scratch, plasticity_chunk_event_slots(K, the largest n_pre) */
    unsigned long long *profile;    /* optional [PLASTICITY_PROFILE_SLOTS], the network's: cycles per phase */
    unsigned long long *profile_events;     /* optional [2], in the network's profile: input, recurrent events */
    /* Delays on the layer's input (network kernels; null when none): the network loop keeps the
     * layer's input (the network input, or the spikes of the layer below) of the last delay_rows
     * steps per sequence in a ring (step s in row s mod delay_rows, counting s from the sequence's
     * start), followed in each row by the layer's own spikes when a recurrent projection has
     * delays, and gathers the layer's n_in input columns from it: column c is entry tap_source[c]
     * of the row tap_lag[c] < delay_rows steps ago. */
    float *delay_line;              /* [batch][delay_rows][delay_width], zero at a sequence's start */
    int delay_rows, delay_width;
    const int *tap_source, *tap_lag;    /* [n_in] */
    float *taps;                    /* [batch][n_in]: this step's input columns */
    float *chunk_taps;              /* chunk mode: [batch][K+1][n_in], the slice's rows; row t − t0 + 1 = step t */
    /* Synaptic delays in event form (chunk mode; null when none), on the layer's one input
     * projection: input i reaches neuron j through the taps k_ji and k_ji + 1 with weights
     * w_ji (1 − f_ji) and w_ji f_ji. An input event adds its two weights into the rows of the steps
     * it arrives at in a ring of currents; the step takes its row and clears it. */
    const int *synapse_lag;         /* [n_in][n]: k_ji */
    const float *synapse_low, *synapse_high;   /* [n_in][n]: w_ji (1 − f_ji), w_ji f_ji */
    float *arrivals;                /* [batch][arrival_rows][n]: zero at a sequence's start */
    int arrival_rows;               /* D + 2 */
    plasticity_arrivals_fn delay_arrivals;
} plasticity_layer_args;

/* Dense local Jacobians of one step, for oracles and inspection (any pointer may be 0). */
typedef struct plasticity_local_jacobian {
    float *state_jacobian;          /* D = dh^t/dh^{t-1}  [batch][n][k][k] */
    float *input_jacobian;          /* c = dh^t/dI^t      [batch][n][k][C] */
    float *param_jacobian;          /* dh^t/dθ            [batch][n][k][P] */
    float *output_gradient;         /* ψ = dz^t/dh^t      [batch][n][k]    */
    float *output_param_gradient;   /* dz^t/dθ (direct)   [batch][n][P]    */
} plasticity_local_jacobian;

typedef struct plasticity_kernel_info {
    int abi_version;
    int state_count;                /* k */
    int channel_count;              /* C */
    int learnable_count;            /* P */
    int projection_count;
    int spiking;                    /* 1: output is a spike with a surrogate; 0: a value */
    int projection_source[PLASTICITY_MAX_PROJECTIONS];
    int projection_channel[PLASTICITY_MAX_PROJECTIONS];
    int trace_components[PLASTICITY_MAX_PROJECTIONS];   /* m_p: stored components of ε */
    int trace_shared[PLASTICITY_MAX_PROJECTIONS];       /* s_p: leading components shared as presynaptic traces */
    int param_trace_components;     /* M */
} plasticity_kernel_info;

/*
 * A network: input -> hidden layers (each a layer kernel; layer l+1 reads the spikes of layer l at
 * the same step) -> leaky readout y^t = κ y^{t-1} + W_out z^t + b -> loss -> learning signals
 * L_j^t = Σ_o B_jo err_o^t -> gradients G_ji += L_j^t ē_ji^t, all inside one loop over T.
 * Gradients and the loss are sums over batch and steps.
 */
#define PLASTICITY_MAX_LAYERS 4
#define PLASTICITY_SIGNAL_ERROR 0           /* err = ∂L/∂y of the network's loss */
#define PLASTICITY_SIGNAL_TARGET 1          /* err = onehot or y* only: target projection (DRTP) */
#define PLASTICITY_SIGNAL_BACKWARD 2        /* L^l = W^{l+1}ᵀ (gain^{l+1} ⊙ L^{l+1}): same step, no backward in time */
#define PLASTICITY_TENSOR_NONE 0
#define PLASTICITY_TENSOR_READOUT 1         /* readout y */
#define PLASTICITY_TENSOR_LOSS 2
#define PLASTICITY_TENSOR_LAYER_STATE 16    /* + layer index */
#define PLASTICITY_TENSOR_GRADIENT 32       /* + layer index: accumulated weight gradients */

typedef struct plasticity_network_args {
    int batch, n_in, n_out, n_steps, n_layers;
    const float *input;                     /* [n_steps][batch][n_in] */
    plasticity_layer_args layers[PLASTICITY_MAX_LAYERS];
    float kappa;                            /* readout leak, also the ē filter of every layer */
    const float *readout_weights;           /* [n_out][n_last] */
    const float *readout_weights_transposed;    /* [n_last][n_out], refreshed by the caller */
    const float *readout_bias;              /* [n_out] */
    float *readout_state;                   /* y [batch][n_out] */
    float *readout_trace;                   /* z̄ = κ z̄ + z of the last layer [batch][n_last] */
    float *readout_bias_trace;              /* κ-filtered 1 [batch] */
    const float *targets;                   /* the loss is compiled in: [n_steps][batch] class index (< 0: no loss)
                                               or [n_steps][batch][n_out] (NaN first entry: no loss) */
    const float *feedback[PLASTICITY_MAX_LAYERS];   /* B [n_l][n_out]; 0: W_outᵀ (last layer only) */
    int signal[PLASTICITY_MAX_LAYERS];      /* PLASTICITY_SIGNAL_* */
    float *grad_weights[PLASTICITY_MAX_LAYERS * PLASTICITY_MAX_PROJECTIONS];   /* [l*MAX+p]: [n][n_pre] */
    float *grad_params[PLASTICITY_MAX_LAYERS];      /* [P][n] */
    float *grad_readout_weights;            /* [n_out][n_last] */
    float *grad_readout_bias;               /* [n_out] */
    float *error;                           /* scratch [batch][n_out] */
    float *learning_signal;                 /* scratch [n_layers][n_max] */
    int n_max;
    float *readout_record;                  /* optional [n_steps][batch][n_out] */
    float *readout_trace_sum;               /* optional [batch][n_last]: Σ_t z̄ */
    float *readout_bias_trace_sum;          /* optional [batch]: Σ_t (κ-filtered 1) */
    double loss_sum;                        /* out */
    int correct, counted;                   /* out (CE): argmax y == label, steps with a label */
    int failed_step;                        /* out: -1, or the first step with a non-finite tensor */
    int failed_tensor;                      /* out: PLASTICITY_TENSOR_* */
    int batch_begin, batch_end;             /* this call's slice of the batch (as in the layer args) */
    int chunk_steps;                        /* K > 0: time-chunked exact traces (the layers' chunk buffers are set) */
    plasticity_chunk_fn chunk_coefficients, chunk_synapses, chunk_synapses_delayed;   /* runtime-c/plasticity_chunk.c, -O3 */
    plasticity_chunk_flush_fn chunk_flush;
    /* Chunk mode: the readout gradient Σ_t err^t z̄^t is added once per chunk, onto the spikes
     * (chunk_readout); both rows are scratch of the slice (the block of its batch_begin). */
    float *chunk_error;                     /* [batch][K][n_out]: err of each step of the chunk, 0 without a loss */
    float *chunk_readout_trace;             /* [batch][n_last]: z̄ before the chunk's first step */
    plasticity_chunk_readout_fn chunk_readout;
    unsigned long long *profile;            /* optional [PLASTICITY_PROFILE_SLOTS], private to the calling thread */
} plasticity_network_args;

typedef int (*plasticity_network_run_fn)(plasticity_network_args *);
typedef const plasticity_kernel_info *(*plasticity_layer_info_fn)(int);
typedef void (*plasticity_layer_local_step_fn)(int, const plasticity_layer_args *, const float *current,
                                               const plasticity_local_jacobian *);

typedef const plasticity_kernel_info *(*plasticity_info_fn)(void);
typedef void (*plasticity_local_step_fn)(const plasticity_layer_args *, const float *current,
                                         const plasticity_local_jacobian *);
typedef int (*plasticity_run_fn)(const plasticity_layer_args *);

/* The indices of the nonzero x_i, in order, and their count. Without branches: spikes are too
 * irregular for the branch predictor. Writes up to n indices (each slot before it is counted).
 * With AVX-512 (runtime-c and cc kernels are built for the host), 16 at a time: a compare gives
 * the mask of x_i != 0 (NaN included, as in the scalar loop), a compress packs their indices in
 * order, and one store writes 16 slots at count <= i, so below n. */
#if defined(__AVX512F__) && !defined(PLASTICITY_TINYCC)
#include <immintrin.h>
#define PLASTICITY_NONZERO(x, n, indices) \
    int count = 0, i = 0; \
    const __m512i lanes_ = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); \
    for (; i + 16 <= (n); i += 16) { \
        const __mmask16 live_ = _mm512_cmp_ps_mask(_mm512_loadu_ps((x) + i), _mm512_setzero_ps(), _CMP_NEQ_UQ); \
        _mm512_storeu_si512((void *)((indices) + count), _mm512_maskz_compress_epi32(live_, _mm512_add_epi32(lanes_, _mm512_set1_epi32(i)))); \
        count += __builtin_popcount((unsigned)live_); \
    } \
    for (; i < (n); ++i) { (indices)[count] = i; count += (x)[i] != 0.0f; } \
    return count;
#elif defined(__AVX2__) && defined(__BMI2__) && !defined(PLASTICITY_TINYCC)
/* With AVX2, 8 at a time: the compare's 8-bit mask m selects the lanes; pdep spreads m to one
 * byte per lane (0xff where set), pext keeps the bytes 0..7 of the set lanes, in order, and they
 * become the permutation that packs the lane indices i + 0..7 to the front. */
#include <immintrin.h>
#define PLASTICITY_NONZERO(x, n, indices) \
    int count = 0, i = 0; \
    const __m256i lanes_ = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); \
    for (; i + 8 <= (n); i += 8) { \
        const unsigned live_ = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps((x) + i), _mm256_setzero_ps(), _CMP_NEQ_UQ)); \
        const unsigned long long bytes_ = _pdep_u64(live_, 0x0101010101010101ull) * 0xffu; \
        const __m256i order_ = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)_pext_u64(0x0706050403020100ull, bytes_))); \
        _mm256_storeu_si256((__m256i *)((indices) + count), _mm256_permutevar8x32_epi32(_mm256_add_epi32(lanes_, _mm256_set1_epi32(i)), order_)); \
        count += __builtin_popcount(live_); \
    } \
    for (; i < (n); ++i) { (indices)[count] = i; count += (x)[i] != 0.0f; } \
    return count;
#else
#define PLASTICITY_NONZERO(x, n, indices) \
    int count = 0; \
    for (int i = 0; i < (n); ++i) { (indices)[count] = i; count += (x)[i] != 0.0f; } \
    return count;
#endif

/* A row of a large array that a later step reads (the next step's input row: the steps of a
 * sequence lie batch × n_in floats apart, too far for the hardware's stride prefetcher). */
#if defined(__GNUC__) && !defined(PLASTICITY_TINYCC)
#define PLASTICITY_PREFETCH(x, n) for (int i = 0; i < (n); i += 16) __builtin_prefetch((x) + i);
#else
#define PLASTICITY_PREFETCH(x, n) (void)(x); (void)(n);
#endif

/* y = (accumulate ? y : 0) + Σ_q coef[r_q] rows[r_q], r_q = indices[q] (or q without indices), over
 * q < count in order: the same floats as a fill and one axpy per row, since every y_j takes the
 * same additions in the same order. Four vectors of the target's width at a time (GCC/Clang vector
 * extensions: gcc 12 leaves the plain loop scalar), so that the partial sums stay in registers while
 * the rows stream past. The width is the host's register (16 floats with AVX-512, 8 with AVX, else
 * 4): a wider vector type than the registers makes gcc split it through the stack, which ran R
 * chunked 2x slower on an AVX2 host. Not for TinyCC, which calls runtime-c's copy. */
#ifndef PLASTICITY_TINYCC
#if defined(__AVX512F__)
#define PLASTICITY_VECTOR_FLOATS_ 16
#elif defined(__AVX__)
#define PLASTICITY_VECTOR_FLOATS_ 8
#else
#define PLASTICITY_VECTOR_FLOATS_ 4
#endif
typedef float plasticity_floatv_ __attribute__((vector_size(4 * PLASTICITY_VECTOR_FLOATS_), aligned(4)));
#define PLASTICITY_V_(p) (*(plasticity_floatv_ *)(p))
#define PLASTICITY_COMBINE_ROWS(y, rows, stride, indices, coef, count, n, accumulate) \
    enum { w_ = PLASTICITY_VECTOR_FLOATS_ }; \
    int j0_ = 0; \
    for (; j0_ + 4 * w_ <= (n); j0_ += 4 * w_) { \
        plasticity_floatv_ a0_ = {0}, a1_ = {0}, a2_ = {0}, a3_ = {0}; \
        if (accumulate) { a0_ = PLASTICITY_V_((y) + j0_); a1_ = PLASTICITY_V_((y) + j0_ + w_); \
                          a2_ = PLASTICITY_V_((y) + j0_ + 2 * w_); a3_ = PLASTICITY_V_((y) + j0_ + 3 * w_); } \
        for (int q_ = 0; q_ < (count); ++q_) { \
            const int r_ = (indices) ? (indices)[q_] : q_; \
            const float c_ = (coef)[r_]; const float *row_ = (rows) + (long)r_ * (stride) + j0_; \
            a0_ = a0_ + c_ * PLASTICITY_V_(row_); a1_ = a1_ + c_ * PLASTICITY_V_(row_ + w_); \
            a2_ = a2_ + c_ * PLASTICITY_V_(row_ + 2 * w_); a3_ = a3_ + c_ * PLASTICITY_V_(row_ + 3 * w_); } \
        PLASTICITY_V_((y) + j0_) = a0_; PLASTICITY_V_((y) + j0_ + w_) = a1_; \
        PLASTICITY_V_((y) + j0_ + 2 * w_) = a2_; PLASTICITY_V_((y) + j0_ + 3 * w_) = a3_; } \
    for (; j0_ + w_ <= (n); j0_ += w_) { \
        plasticity_floatv_ a_ = {0}; \
        if (accumulate) a_ = PLASTICITY_V_((y) + j0_); \
        for (int q_ = 0; q_ < (count); ++q_) { \
            const int r_ = (indices) ? (indices)[q_] : q_; \
            a_ = a_ + (coef)[r_] * PLASTICITY_V_((rows) + (long)r_ * (stride) + j0_); } \
        PLASTICITY_V_((y) + j0_) = a_; } \
    for (; j0_ < (n); ++j0_) { \
        float s_ = (accumulate) ? (y)[j0_] : 0.0f; \
        for (int q_ = 0; q_ < (count); ++q_) { \
            const int r_ = (indices) ? (indices)[q_] : q_; \
            s_ = s_ + (coef)[r_] * (rows)[(long)r_ * (stride) + j0_]; } \
        (y)[j0_] = s_; }
#endif

#define PLASTICITY_ALL_FINITE(x, n) \
    unsigned bad = 0;   /* exponent bits all set: NaN or ±Inf */ \
    for (long i = 0; i < (n); ++i) { unsigned u; __builtin_memcpy(&u, (x) + i, 4); bad |= (u & 0x7f800000u) == 0x7f800000u; } \
    return !bad;

/* The readout's loss at one step. Softmax cross-entropy: err = softmax(y) - onehot(label), *best =
 * the first index of max y, returns log p_label = y_label - max y - log Σ_o exp(y_o - max y)
 * (shifted by the max, so no exp overflows). Squared error: err = y - target, adding 0.5 err_o^2
 * to *loss_sum (double) o by o. Runtime-c functions under TinyCC, whose own scalar code is slow
 * for these short loops; the same operations in the same order either way. */
#define PLASTICITY_SOFTMAX_ERROR(err, y, n, label, best) \
    float top = (y)[0]; int top_index = 0; \
    for (int o = 1; o < (n); ++o) if ((y)[o] > top) { top = (y)[o]; top_index = o; } \
    float total = 0.0f; \
    for (int o = 0; o < (n); ++o) { (err)[o] = expf((y)[o] - top); total += (err)[o]; } \
    for (int o = 0; o < (n); ++o) (err)[o] = (err)[o] / total - (o == (label) ? 1.0f : 0.0f); \
    *(best) = top_index; \
    return (y)[label] - top - logf(total);
#define PLASTICITY_SQUARED_ERROR(err, y, target, n, loss_sum) \
    for (int o = 0; o < (n); ++o) { (err)[o] = (y)[o] - (target)[o]; *(loss_sum) += 0.5 * (double)((err)[o] * (err)[o]); }

/* Per-synapse traces of one neuron, m stored components interleaved as eps[i][m]:
 *   eps_i <- D eps_i + c x_i,   ebar_i <- kappa ebar_i + psi . eps_i */
#define PLASTICITY_TRACE1(eps, ebar, x, n, d, c, psi, kappa) \
    for (int i_ = 0; i_ < (n); ++i_) { \
        const float e0_ = (d) * (eps)[i_] + (c) * (x)[i_]; (eps)[i_] = e0_; \
        (ebar)[i_] = (kappa) * (ebar)[i_] + (psi) * e0_; }
#define PLASTICITY_TRACE2(eps, ebar, x, n, d00, d01, d10, d11, c0, c1, p0, p1, kappa) \
    for (int i_ = 0; i_ < (n); ++i_) { \
        float *e_ = (eps) + 2 * (long)i_; const float x_ = (x)[i_]; \
        const float e0_ = (d00) * e_[0] + (d01) * e_[1] + (c0) * x_; \
        const float e1_ = (d10) * e_[0] + (d11) * e_[1] + (c1) * x_; \
        e_[0] = e0_; e_[1] = e1_; \
        (ebar)[i_] = (kappa) * (ebar)[i_] + ((p0) * e0_ + (p1) * e1_); }
/* One per-synapse component e after one shared component x̄ (ALIF: ε_a after ε_v = x̄):
 * e = d_rs x̄^{t-1} + d_rr e [+ c_r x],  ē = κ ē + (ψ_s x̄^t + ψ_r e). The function takes x = 0
 * when c_r is structurally zero (ALIF), so that no 0·x is read or added. */
#define PLASTICITY_TRACE1_SHARED1(eps, ebar, xbar_prev, xbar, n, d_rs, d_rr, p_s, p_r, kappa, INPUT_TERM) \
    for (int i_ = 0; i_ < (n); ++i_) { \
        const float e_ = (d_rs) * (xbar_prev)[i_] + (d_rr) * (eps)[i_] INPUT_TERM; (eps)[i_] = e_; \
        (ebar)[i_] = (kappa) * (ebar)[i_] + ((p_s) * (xbar)[i_] + (p_r) * e_); }
#define PLASTICITY_TRACE1_SHARED1_EITHER(eps, ebar, xbar_prev, xbar, x, n, d_rs, d_rr, c_r, p_s, p_r, kappa) \
    if (x) { PLASTICITY_TRACE1_SHARED1(eps, ebar, xbar_prev, xbar, n, d_rs, d_rr, p_s, p_r, kappa, + (c_r) * (x)[i_]) } \
    else { PLASTICITY_TRACE1_SHARED1(eps, ebar, xbar_prev, xbar, n, d_rs, d_rr, p_s, p_r, kappa, ) }

/* Per-neuron helpers: generated code, and runtime-c (PLASTICITY_RUNTIME_SOURCE) for the row primitives. */
#if defined(PLASTICITY_GENERATED) || defined(PLASTICITY_RUNTIME_SOURCE)
#ifdef PLASTICITY_GENERATED
float expf(float);
float logf(float);
float tanhf(float);
float powf(float, float);
float floorf(float);
float sinf(float);
float cosf(float);
float sqrtf(float);
#endif

#ifdef PLASTICITY_TINYCC
/* TinyCC does not inline: the per-neuron helpers are macros there (generated code passes plain
 * identifiers and literals, so each argument is evaluated once in effect). Same operations, same floats. */
#define plasticity_abs(x) ((x) < 0.0f ? -(x) : (x))
#define plasticity_min(a, b) ((a) < (b) ? (a) : (b))
#define plasticity_max(a, b) ((a) > (b) ? (a) : (b))
#define plasticity_heaviside(x) ((x) > 0.0f ? 1.0f : 0.0f)
#define plasticity_sign(x) ((x) > 0.0f ? 1.0f : ((x) < 0.0f ? -1.0f : 0.0f))
#else
static inline float plasticity_abs(float x) { return x < 0.0f ? -x : x; }
static inline float plasticity_min(float a, float b) { return a < b ? a : b; }
static inline float plasticity_max(float a, float b) { return a > b ? a : b; }
static inline float plasticity_heaviside(float x) { return x > 0.0f ? 1.0f : 0.0f; }
static inline float plasticity_sign(float x) { return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f); }
#endif
static inline float plasticity_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
/* tanh'(x) = 1/cosh^2(x) = 4e/(1+e)^2 with e = exp(-2|x|) <= 1: no cancellation, no overflow. */
static inline float plasticity_tanh_derivative(float x) { float e = expf(-2.0f * plasticity_abs(x)); float d = 1.0f + e; return 4.0f * e / (d * d); }
/* sigmoid'(x) = sigma(x) sigma(-x) = e/(1+e)^2 with e = exp(-|x|). */
static inline float plasticity_sigmoid_derivative(float x) { float e = expf(-plasticity_abs(x)); float d = 1.0f + e; return e / (d * d); }
/* NaN and ±Inf without libm: x − x is NaN for both, and NaN compares unequal. */
static inline int plasticity_finite(float x) { float d = x - x; return d == d; }

/* Noise sources: a counter-based generator (the SplitMix64 finalizer over a key of the seed, the
 * sequence b, the step and the channel, then over the neuron), so a draw depends on nothing but
 * its key: the same for any thread split, time chunking and backend. Uniform: 24 bits in (0, 1];
 * normal: Box–Muller (cos branch) in float32 from two such uniforms. Integer work and one libm
 * call each, the same functions under TinyCC and cc. */
static inline unsigned long long plasticity_mix64(unsigned long long z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline void plasticity_noise_fill(float *y, int n, int kind, unsigned long long seed, int b, long long step, int channel) {
    const unsigned long long key = plasticity_mix64(seed ^ plasticity_mix64(((unsigned long long)(unsigned)b << 32)
                                                                           ^ (unsigned long long)(unsigned)channel)
                                                    ^ plasticity_mix64((unsigned long long)step + 0x632BE59BD9B4E019ull));
    for (int j = 0; j < n; ++j) {
        const unsigned long long r = plasticity_mix64(key + (unsigned long long)j);
        /* via int (24 bits fit): TinyCC has no 64-bit unsigned → float conversion of its own */
        const float u1 = (float)(int)((r >> 40) + 1) * 5.9604644775390625e-8f;          /* (0, 1] */
        if (kind == PLASTICITY_NOISE_UNIFORM) { y[j] = u1; continue; }
        const float u2 = (float)(int)((r >> 16) & 0xFFFFFFull) * 5.9604644775390625e-8f; /* [0, 1) */
        y[j] = sqrtf(-2.0f * logf(u1)) * cosf(6.28318530717958647692f * u2);
    }
}

/* The element operations: unary in x, binary in p and q, comparisons by operator, surrogate
 * pseudo-derivatives σ'(x) of the spike z = Θ(x) in x and the scale s. Generated from the kernel IR's
 * operation table; `PLASTICITY_UPDATE_SNAPSHOTS=1 swift test` rewrites the block (ElementOpTableTests). */
/* BEGIN element operations, generated from ElementOp.entry (Sources/Plasticity/4-Kernel/ElementOp.swift) */
#define PLASTICITY_ROW_UNARY(X) \
    X(negate, -x) \
    X(exp, expf(x)) \
    X(log, logf(x)) \
    X(tanh, tanhf(x)) \
    X(sigmoid, plasticity_sigmoid(x)) \
    X(heaviside, plasticity_heaviside(x)) \
    X(tanh_derivative, plasticity_tanh_derivative(x)) \
    X(sigmoid_derivative, plasticity_sigmoid_derivative(x)) \
    X(sin, sinf(x)) \
    X(cos, cosf(x)) \
    X(abs, plasticity_abs(x)) \
    X(sqrt, sqrtf(x)) \
    X(sign, plasticity_sign(x))
#define PLASTICITY_ROW_BINARY(X) \
    X(add, p + q) \
    X(subtract, p - q) \
    X(multiply, p * q) \
    X(divide, p / q) \
    X(pow, powf(p, q)) \
    X(min, plasticity_min(p, q)) \
    X(max, plasticity_max(p, q))
#define PLASTICITY_ROW_COMPARISONS(X) \
    X(less, <) \
    X(less_equal, <=) \
    X(greater, >) \
    X(greater_equal, >=) \
    X(equal, ==) \
    X(not_equal, !=)
#define PLASTICITY_ROW_SURROGATES(X) \
    X(fast_sigmoid, 1.0f / ((1.0f + s * plasticity_abs(x)) * (1.0f + s * plasticity_abs(x)))) \
    X(piecewise_linear, 1.0f - plasticity_abs(x) > 0.0f ? s * (1.0f - plasticity_abs(x)) : 0.0f) \
    X(exponential, 0.5f * s * expf(-s * plasticity_abs(x))) \
    X(arctan, 0.5f * s / (1.0f + (1.57079632679f * s * x) * (1.57079632679f * s * x))) \
    X(boxcar, plasticity_abs(x) <= s ? 0.5f / s : 0.0f) \
    X(gaussian, 0.398942280f * s * expf(-0.5f * (s * x) * (s * x)))
/* END element operations */
#define PLASTICITY_SURROGATE_DEFINE(name, expr) static inline float plasticity_surrogate_##name(float x, float s) { return (expr); }
PLASTICITY_ROW_SURROGATES(PLASTICITY_SURROGATE_DEFINE)

/* Row primitives: y[j] = f(a[j], ...) over a row of n neurons. Generated layer steps compute the
 * neuron body as a sequence of them (one row per value of the kernel IR's neuron body, 5-CodeGen/CBodyEmitter.swift):
 * under TinyCC they are the vectorized functions of runtime-c, bound by address; an optimizing
 * compiler gets them inline. Each applies the scalar helper above element by element, so a row
 * body gives the floats of the scalar body. Outputs never alias inputs. A binary operation with a
 * literal operand takes it as a float (`_rs`: row op scalar, `_sr`: scalar op row) instead of a
 * constant row: one load stream less per element, and the literal's row leaves the step's cache. */
#define PLASTICITY_ROW_DECLARE_UNARY(name, expr) void plasticity_row_##name(float *y, const float *a, int n);
#define PLASTICITY_ROW_DECLARE_BINARY(name, expr) void plasticity_row_##name(float *y, const float *a, const float *b, int n); \
    void plasticity_row_##name##_rs(float *y, const float *a, float q, int n); \
    void plasticity_row_##name##_sr(float *y, float p, const float *b, int n);
#define PLASTICITY_ROW_DECLARE_COMPARISON(name, op) \
    void plasticity_row_select_##name(float *y, const float *a, const float *b, const float *p, const float *q, int n); \
    void plasticity_row_indicator_##name(float *y, const float *a, const float *b, int n);
#define PLASTICITY_ROW_DECLARE_SURROGATE(name, expr) void plasticity_row_surrogate_##name(float *y, const float *a, int n, float scale);

/* Definitions, with PLASTICITY_ROW_LINKAGE set by the includer (static inline, or nothing). */
#define PLASTICITY_ROW_DEFINE_UNARY(name, expr) \
    PLASTICITY_ROW_LINKAGE void plasticity_row_##name(float *restrict y, const float *restrict a, int n) { \
        for (int j = 0; j < n; ++j) { const float x = a[j]; y[j] = (expr); } }
#define PLASTICITY_ROW_DEFINE_BINARY(name, expr) \
    PLASTICITY_ROW_LINKAGE void plasticity_row_##name(float *restrict y, const float *restrict a, const float *restrict b, int n) { \
        for (int j = 0; j < n; ++j) { const float p = a[j], q = b[j]; y[j] = (expr); } } \
    PLASTICITY_ROW_LINKAGE void plasticity_row_##name##_rs(float *restrict y, const float *restrict a, const float q, int n) { \
        for (int j = 0; j < n; ++j) { const float p = a[j]; y[j] = (expr); } } \
    PLASTICITY_ROW_LINKAGE void plasticity_row_##name##_sr(float *restrict y, const float p, const float *restrict b, int n) { \
        for (int j = 0; j < n; ++j) { const float q = b[j]; y[j] = (expr); } }
#define PLASTICITY_ROW_DEFINE_COMPARISON(name, op) \
    PLASTICITY_ROW_LINKAGE void plasticity_row_select_##name(float *restrict y, const float *restrict a, const float *restrict b, \
                                                          const float *restrict p, const float *restrict q, int n) { \
        for (int j = 0; j < n; ++j) y[j] = (a[j] op b[j]) ? p[j] : q[j]; } \
    PLASTICITY_ROW_LINKAGE void plasticity_row_indicator_##name(float *restrict y, const float *restrict a, const float *restrict b, int n) { \
        for (int j = 0; j < n; ++j) y[j] = (a[j] op b[j]) ? 1.0f : 0.0f; }
#define PLASTICITY_ROW_DEFINE_SURROGATE(name, expr) \
    PLASTICITY_ROW_LINKAGE void plasticity_row_surrogate_##name(float *restrict y, const float *restrict a, int n, float scale) { \
        for (int j = 0; j < n; ++j) y[j] = plasticity_surrogate_##name(a[j], scale); }
/* Strided moves between rows and an interleaved [n][k] buffer (state, ψ); k = 2 as whole groups. */
#define PLASTICITY_ROW_DEFINE_STRIDED \
    PLASTICITY_ROW_LINKAGE void plasticity_row_gather(float *restrict y, const float *restrict a, int stride, int n) { \
        for (int j = 0; j < n; ++j) y[j] = a[(long)j * stride]; } \
    PLASTICITY_ROW_LINKAGE void plasticity_row_scatter(float *restrict y, int stride, const float *restrict a, int n) { \
        for (int j = 0; j < n; ++j) y[(long)j * stride] = a[j]; } \
    PLASTICITY_ROW_LINKAGE void plasticity_row_interleave2(float *restrict y, const float *restrict a, const float *restrict b, int n) { \
        for (int j = 0; j < n; ++j) { y[2 * (long)j] = a[j]; y[2 * (long)j + 1] = b[j]; } } \
    PLASTICITY_ROW_LINKAGE void plasticity_row_deinterleave2(float *restrict a, float *restrict b, const float *restrict y, int n) { \
        for (int j = 0; j < n; ++j) { a[j] = y[2 * (long)j]; b[j] = y[2 * (long)j + 1]; } }
#define PLASTICITY_ROW_DEFINE_ALL \
    PLASTICITY_ROW_UNARY(PLASTICITY_ROW_DEFINE_UNARY) PLASTICITY_ROW_BINARY(PLASTICITY_ROW_DEFINE_BINARY) \
    PLASTICITY_ROW_COMPARISONS(PLASTICITY_ROW_DEFINE_COMPARISON) PLASTICITY_ROW_SURROGATES(PLASTICITY_ROW_DEFINE_SURROGATE) \
    PLASTICITY_ROW_DEFINE_STRIDED

#ifdef PLASTICITY_TINYCC
PLASTICITY_ROW_UNARY(PLASTICITY_ROW_DECLARE_UNARY)
PLASTICITY_ROW_BINARY(PLASTICITY_ROW_DECLARE_BINARY)
PLASTICITY_ROW_COMPARISONS(PLASTICITY_ROW_DECLARE_COMPARISON)
PLASTICITY_ROW_SURROGATES(PLASTICITY_ROW_DECLARE_SURROGATE)
void plasticity_row_gather(float *y, const float *a, int stride, int n);
void plasticity_row_scatter(float *y, int stride, const float *a, int n);
void plasticity_row_interleave2(float *y, const float *a, const float *b, int n);
void plasticity_row_deinterleave2(float *a, float *b, const float *y, int n);
#elif defined(PLASTICITY_GENERATED)
#define PLASTICITY_ROW_LINKAGE static inline
PLASTICITY_ROW_DEFINE_ALL
#endif
#ifdef PLASTICITY_GENERATED
/* Element helpers: a row primitive's operation on one neuron, for the fused neuron loop that an
 * optimizing compiler gets instead of the row calls, and for the local step. Same expressions, same floats. */
#define PLASTICITY_ELEM_DEFINE_UNARY(name, expr) static inline float plasticity_elem_##name(float x) { return (expr); }
#define PLASTICITY_ELEM_DEFINE_BINARY(name, expr) static inline float plasticity_elem_##name(float p, float q) { return (expr); }
#define PLASTICITY_ELEM_DEFINE_COMPARISON(name, op) \
    static inline float plasticity_elem_select_##name(float a, float b, float p, float q) { return (a op b) ? p : q; } \
    static inline float plasticity_elem_indicator_##name(float a, float b) { return (a op b) ? 1.0f : 0.0f; }
PLASTICITY_ROW_UNARY(PLASTICITY_ELEM_DEFINE_UNARY)
PLASTICITY_ROW_BINARY(PLASTICITY_ELEM_DEFINE_BINARY)
PLASTICITY_ROW_COMPARISONS(PLASTICITY_ELEM_DEFINE_COMPARISON)
#endif
#endif

#ifdef PLASTICITY_GENERATED
/* Wide loops. Under TinyCC (which does not vectorize) they are the precompiled, vectorized
 * functions of runtime-c, bound by address; an optimizing compiler gets them inline. Element-wise,
 * so both give the same floats. */
#ifdef PLASTICITY_TINYCC
void plasticity_axpby(float *y, const float *x, int n, float a, float b);   /* y = a y + b x */
void plasticity_axpy(float *y, const float *x, int n, float a);             /* y = y + a x   */
void plasticity_fill(float *y, int n, float v);                             /* y = v         */
void plasticity_copy(float *y, const float *x, int n);                      /* y = x         */
int plasticity_nonzero(const float *x, int n, int *indices);                /* indices of x_i != 0, in order; their count */
int plasticity_all_finite(const float *x, long n);                          /* 1: no NaN or ±Inf among x */
void plasticity_prefetch(const float *x, int n);                            /* x[0..<n] on its way to cache */
void plasticity_combine_rows(float *y, const float *rows, long stride, const int *indices, const float *coef, int count, int n,
                             int accumulate);                               /* y = (y) + Σ coef_r rows_r */
float plasticity_softmax_error(float *err, const float *y, int n, int label, int *best);   /* log p_label */
void plasticity_squared_error(float *err, const float *y, const float *target, int n, double *loss_sum);
void plasticity_trace1(float *eps, float *ebar, const float *x, int n, float d, float c, float psi, float kappa);
void plasticity_trace2(float *eps, float *ebar, const float *x, int n, float d00, float d01, float d10, float d11,
                       float c0, float c1, float p0, float p1, float kappa);
void plasticity_trace1_shared1(float *eps, float *ebar, const float *xbar_prev, const float *xbar, const float *x, int n,
                               float d_rs, float d_rr, float c_r, float p_s, float p_r, float kappa);
#else
static inline void plasticity_trace1(float *eps, float *ebar, const float *x, int n, float d, float c, float psi, float kappa) {
    PLASTICITY_TRACE1(eps, ebar, x, n, d, c, psi, kappa)
}
static inline void plasticity_trace2(float *eps, float *ebar, const float *x, int n, float d00, float d01, float d10, float d11,
                                     float c0, float c1, float p0, float p1, float kappa) {
    PLASTICITY_TRACE2(eps, ebar, x, n, d00, d01, d10, d11, c0, c1, p0, p1, kappa)
}
static inline void plasticity_trace1_shared1(float *eps, float *ebar, const float *xbar_prev, const float *xbar, const float *x, int n,
                                             float d_rs, float d_rr, float c_r, float p_s, float p_r, float kappa) {
    PLASTICITY_TRACE1_SHARED1_EITHER(eps, ebar, xbar_prev, xbar, x, n, d_rs, d_rr, c_r, p_s, p_r, kappa)
}
static inline void plasticity_axpby(float *y, const float *x, int n, float a, float b) {
    for (int i = 0; i < n; ++i) y[i] = a * y[i] + b * x[i];
}
static inline void plasticity_axpy(float *y, const float *x, int n, float a) {
    for (int i = 0; i < n; ++i) y[i] = y[i] + a * x[i];
}
static inline void plasticity_fill(float *y, int n, float v) {
    for (int i = 0; i < n; ++i) y[i] = v;
}
static inline void plasticity_copy(float *y, const float *x, int n) {
    for (int i = 0; i < n; ++i) y[i] = x[i];
}
static inline int plasticity_nonzero(const float *x, int n, int *indices) {
    PLASTICITY_NONZERO(x, n, indices)
}
static inline int plasticity_all_finite(const float *x, long n) {
    PLASTICITY_ALL_FINITE(x, n)
}
static inline void plasticity_prefetch(const float *x, int n) {
    PLASTICITY_PREFETCH(x, n)
}
static inline void plasticity_combine_rows(float *y, const float *rows, long stride, const int *indices, const float *coef, int count, int n,
                                           int accumulate) {
    PLASTICITY_COMBINE_ROWS(y, rows, stride, indices, coef, count, n, accumulate)
}
static inline float plasticity_softmax_error(float *err, const float *y, int n, int label, int *best) {
    PLASTICITY_SOFTMAX_ERROR(err, y, n, label, best)
}
static inline void plasticity_squared_error(float *err, const float *y, const float *target, int n, double *loss_sum) {
    PLASTICITY_SQUARED_ERROR(err, y, target, n, loss_sum)
}
#endif

#endif

#endif
