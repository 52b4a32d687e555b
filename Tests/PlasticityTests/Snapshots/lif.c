/* Plasticity kernel for model 'LIF'. Generated: do not edit. */
#define PLASTICITY_GENERATED 1
#include "plasticity_kernel.h"

/* layer layer0: model 'LIF' */
/* states: v | inputs: I | learnable:  */
/* elimination order: search, 0 multiplies per neuron and step, 1 more in partials */
/* reset gradient: stopped */
static const plasticity_kernel_info layer0_info = {
    PLASTICITY_ABI_VERSION, 1, 1, 0, 2, 1,
    {0, 1}, {0, 0},
    {1, 1}, {1, 1}, 0
};

static void layer0_local_step(const plasticity_layer_args *a, const float *current, const plasticity_local_jacobian *jac) {
    const int n = a->n;
    for (int b = a->batch_begin; b < a->batch_end; ++b) {
        for (int j = 0; j < n; ++j) {
            const long nj = (long)b * n + j;
            float *st = a->state + nj * 1;
            float *ps = a->psi + nj * 1;
            const float *cur = current + nj * 1;
            const float s_hp0_v = st[0];
            const float s_z_prev = a->spike[nj];
            const float s_v11 = plasticity_elem_subtract(s_hp0_v, s_z_prev);
            const float s_v12 = plasticity_elem_multiply(0.951229453f, s_v11);
            const float s_in0_I = cur[0];
            const float s_v13 = plasticity_elem_add(s_v12, s_in0_I);
            const float s_v5 = plasticity_elem_subtract(s_v13, 1.0f);
            const float s_v6 = plasticity_elem_heaviside(s_v5);
            const float s_p8 = plasticity_surrogate_fast_sigmoid(s_v5, 10.0f);
            const float t0 = s_p8;
            st[0] = s_v13;
            ps[0] = s_p8;
            a->spike[nj] = s_v6;
            if (jac) {
                if (jac->state_jacobian) {
                    float *m = jac->state_jacobian + nj * 1;
                    m[0] = 0.951229453f;
                }
                if (jac->input_jacobian) {
                    float *m = jac->input_jacobian + nj * 1;
                    m[0] = 1.0f;
                }
                if (jac->output_gradient) {
                    float *m = jac->output_gradient + nj * 1;
                    m[0] = t0;
                }
            }
        }
    }
}

static void layer0_step(const plasticity_layer_args *a, int t, const float *x_t, int b_begin, int b_end) {
    const int n = a->n, n_in = a->n_in, B = a->batch;
    const float kappa = a->kappa;
    /* the slice's 9 scratch rows, in the block of its first sequence, so that one block stays in cache: */
    /* currents, next spikes, literals, values. The call that starts the slice fills the literals */
    float *work = a->work + (long)a->batch_begin * n * 9;
    float *work0 = work + (long)0 * n;
    float *work1 = work + (long)1 * n;
    float *instant_gain = a->instant_gain;
    const int chunked = a->chunk_steps;
    const int chunk_step = t - a->chunk_first; /* chunked: the step within the chunk */
    /* chunk mode: this step's rows of the chunk record, the slice's, reused by its sequences in turn */
    float *record0 = chunked ? a->chunk_record[0] + ((long)a->batch_begin * a->chunk_steps + t - a->chunk_first) * 5 * n : 0;
    for (int b = b_begin; b < b_end; ++b) {
        const float *x = x_t + (long)b * n_in;
        const float *z = a->spike + (long)b * n;
        /* event-driven input: gather the nonzero presynaptic entries once per step */
        /* chunked, the list stays in chunk_events for the chunk's synapse pass ?KernelLayout.chunkListSlots? */
        int *first0 = chunked ? a->chunk_events + 0 : 0;
        if (first0 && chunk_step == 0) first0[0] = 0;
        int *active0 = first0 ? first0 + a->chunk_steps + 1 + first0[chunk_step] : a->active + 0;
        const int count0 = plasticity_nonzero(x, n_in, active0);
        if (a->profile_events) a->profile_events[0] += count0;
        if (first0) first0[chunk_step + 1] = first0[chunk_step] + count0;
        PLASTICITY_LAP(a->profile, PLASTICITY_PHASE_INPUT_GATHER);
        /* chunked, the list stays in chunk_events for the chunk's synapse pass ?KernelLayout.chunkListSlots? */
        int *first1 = chunked ? a->chunk_events + (a->chunk_steps + 1 + (long)a->chunk_steps * n_in) : 0;
        if (first1 && chunk_step == 0) first1[0] = 0;
        int *active1 = first1 ? first1 + a->chunk_steps + 1 + first1[chunk_step] : a->active + 0 + n_in;
        const int count1 = plasticity_nonzero(z, n, active1);
        if (a->profile_events) a->profile_events[1] += count1;
        if (first1) first1[chunk_step + 1] = first1[chunk_step] + count1;
        PLASTICITY_LAP(a->profile, PLASTICITY_PHASE_RECURRENT_GATHER);
        /* synaptic input per channel: I_c = sum over projections into c of W x, active columns only, */
        /* as rows of W transposed: each neuron's sum keeps the order of the active inputs */
        plasticity_combine_rows(work0, a->weights_transposed[0], n, active0, x, count0, n, 0);
        PLASTICITY_LAP(a->profile, PLASTICITY_PHASE_INPUT_GATHER);
        plasticity_combine_rows(work0, a->weights_transposed[1], n, active1, z, count1, n, 1);
        PLASTICITY_LAP(a->profile, PLASTICITY_PHASE_RECURRENT_GATHER);
        if (!chunked) {
            /* projection 0: presynaptic trace of v, shared by all neurons since D and c are constant there */
            {
                float *xbar = a->eligibility_vector[0] + (long)b * n_in * 1;
                for (int i = 0; i < n_in; ++i) {
                    float *e = xbar + (long)i * 1;
                    const float e0 = 0.951229453f * e[0] + x[i];
                    e[0] = e0;
                }
            }
            /* projection 1: presynaptic trace of v, shared by all neurons since D and c are constant there */
            {
                float *xbar = a->eligibility_vector[1] + (long)b * n * 1;
                for (int i = 0; i < n; ++i) {
                    float *e = xbar + (long)i * 1;
                    const float e0 = 0.951229453f * e[0] + z[i];
                    e[0] = e0;
                }
            }
            PLASTICITY_LAP(a->profile, PLASTICITY_PHASE_TRACE_PROPAGATION);
        }
        /* the neuron body ?kernel IR?: 10 values, 1 temporaries of the local Jacobian */
        const float *row_hp0_v = a->state + (long)b * n;
        const float *row_z_prev = a->spike + (long)b * n;
        float *row_v11 = work + (long)2 * n;
        float *row_v12 = work + (long)3 * n;
        const float *row_in0_I = work0;
        float *row_v13 = work + (long)4 * n;
        float *row_v5 = work + (long)5 * n;
        float *row_v6 = work + (long)6 * n;
        float *row_p8 = work + (long)7 * n;
        #ifdef PLASTICITY_TINYCC
        plasticity_row_subtract(row_v11, row_hp0_v, row_z_prev, n);
        plasticity_row_multiply_sr(row_v12, 0.951229453f, row_v11, n);
        plasticity_row_add(row_v13, row_v12, row_in0_I, n);
        plasticity_row_subtract_rs(row_v5, row_v13, 1.0f, n);
        plasticity_row_heaviside(row_v6, row_v5, n);
        plasticity_row_surrogate_fast_sigmoid(row_p8, row_v5, n, 10.0f);
        #else
        /* one pass over the neurons: iterations touch element j of each row only */
        #pragma GCC ivdep
        for (int j = 0; j < n; ++j) {
            const float s_v11 = plasticity_elem_subtract(row_hp0_v[j], row_z_prev[j]);
            const float s_v12 = plasticity_elem_multiply(0.951229453f, s_v11);
            const float s_v13 = plasticity_elem_add(s_v12, row_in0_I[j]);
            const float s_v5 = plasticity_elem_subtract(s_v13, 1.0f);
            const float s_v6 = plasticity_elem_heaviside(s_v5);
            const float s_p8 = plasticity_surrogate_fast_sigmoid(s_v5, 10.0f);
            row_v13[j] = s_v13;
            row_v6[j] = s_v6;
            row_p8[j] = s_p8;
        }
        #endif
        if (instant_gain) {
            float *row_gain9 = work + (long)8 * n;
            plasticity_row_multiply_rs(row_gain9, row_p8, 1.0f, n);
            plasticity_copy(instant_gain + (long)b * n, row_gain9, n);
        }
        PLASTICITY_LAP(a->profile, PLASTICITY_PHASE_NEURON_BODY);
        if (chunked) {
            plasticity_copy(record0 + (long)0 * n, row_p8, n);
            PLASTICITY_LAP(a->profile, PLASTICITY_PHASE_NEURON_BODY);
        }
        if (!chunked) for (int j = 0; j < n; ++j) {
            const long nj = (long)b * n + j;
            const float t0 = row_p8[j];
            float *live = a->synapses_live + nj;
            /* psi = 0: rows that are exactly zero stay zero */
            if (*live != 0.0f || !(t0 == 0.0f)) {
                *live = 1.0f;
                /* projection 0, input: eligibility from the presynaptic trace */
                {
                    float *ebar = a->eligibility_trace[0] + nj * n_in;
                    const float *xbar = a->eligibility_vector[0] + (long)b * n_in * 1;
                    plasticity_axpby(ebar, xbar, n_in, kappa, t0);
                }
                /* projection 1, recurrent: eligibility from the presynaptic trace */
                {
                    float *ebar = a->eligibility_trace[1] + nj * n;
                    const float *xbar = a->eligibility_vector[1] + (long)b * n * 1;
                    plasticity_axpby(ebar, xbar, n, kappa, t0);
                }
                if (a->eligibility_sum[0]) {
                    float *esum = a->eligibility_sum[0] + (long)j * n_in;
                    const float *xbar_sum = a->eligibility_vector[0] + (long)b * n_in * 1;
                    for (int i = 0; i < n_in; ++i) esum[i] += t0 * xbar_sum[(long)i * 1 + 0];
                }
                if (a->eligibility_trace_sum[0]) {
                    float *bsum = a->eligibility_trace_sum[0] + nj * n_in;
                    const float *ebar_now = a->eligibility_trace[0] + nj * n_in;
                    for (int i = 0; i < n_in; ++i) bsum[i] += ebar_now[i];
                }
                if (a->eligibility_sum[1]) {
                    float *esum = a->eligibility_sum[1] + (long)j * n;
                    const float *xbar_sum = a->eligibility_vector[1] + (long)b * n * 1;
                    for (int i = 0; i < n; ++i) esum[i] += t0 * xbar_sum[(long)i * 1 + 0];
                }
                if (a->eligibility_trace_sum[1]) {
                    float *bsum = a->eligibility_trace_sum[1] + nj * n;
                    const float *ebar_now = a->eligibility_trace[1] + nj * n;
                    for (int i = 0; i < n; ++i) bsum[i] += ebar_now[i];
                }
            }
        }
        PLASTICITY_LAP(a->profile, PLASTICITY_PHASE_TRACE_PROPAGATION);
        /* stores, after every read of the previous state */
        plasticity_copy(a->state + (long)b * n, row_v13, n);
        plasticity_copy(a->psi + (long)b * n, row_p8, n);
        plasticity_copy(work1, row_v6, n);
        /* optional records */
        if (a->output_record) plasticity_copy(a->output_record + ((long)t * B + b) * n, work1, n);
        if (a->spike_count) plasticity_axpy(a->spike_count, work1, n, 1.0f);
        if (a->state_record) plasticity_copy(a->state_record + ((long)t * B + b) * n * 1, a->state + (long)b * n * 1, n * 1);
        /* the new spikes become the previous spikes of the next step */
        plasticity_copy(a->spike + (long)b * n, work1, n);
        PLASTICITY_LAP(a->profile, PLASTICITY_PHASE_NEURON_BODY);
    }
}

const plasticity_kernel_info *plasticity_info(void) { return &layer0_info; }
void plasticity_local_step(const plasticity_layer_args *a, const float *current, const plasticity_local_jacobian *jac) {
    layer0_local_step(a, current, jac);
}
int plasticity_run(const plasticity_layer_args *a) {
    for (int t = 0; t < a->n_steps; ++t) layer0_step(a, t, a->input + (long)t * a->batch * a->n_in, a->batch_begin, a->batch_end);
    return 0;
}
