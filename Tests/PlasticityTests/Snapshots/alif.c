/* Plasticity kernel for model 'ALIF'. Generated: do not edit. */
#define PLASTICITY_GENERATED 1
#include "plasticity_kernel.h"

/* layer layer0: model 'ALIF' */
/* states: v, a | inputs: I | learnable:  */
/* elimination order: search, 4 multiplies per neuron and step, 2 more in partials */
/* reset gradient: stopped */
static const plasticity_kernel_info layer0_info = {
    PLASTICITY_ABI_VERSION, 2, 1, 0, 2, 1,
    {0, 1}, {0, 0},
    {2, 2}, {1, 1}, 0
};

static void layer0_local_step(const plasticity_layer_args *a, const float *current, const plasticity_local_jacobian *jac) {
    const int n = a->n;
    for (int b = a->batch_begin; b < a->batch_end; ++b) {
        for (int j = 0; j < n; ++j) {
            const long nj = (long)b * n + j;
            float *st = a->state + nj * 2;
            float *ps = a->psi + nj * 2;
            const float *cur = current + nj * 1;
            const int z_prev_live = !(a->spike_is_initial); /* z^{-1} is a constant: no derivative */
            const float s_hp0_v = st[0];
            const float s_hp1_a = st[1];
            const float s_z_prev = a->spike[nj];
            const float s_v21 = plasticity_elem_multiply(s_z_prev, 0.600000024f);
            const float s_v22 = plasticity_elem_subtract(s_hp0_v, s_v21);
            const float s_v23 = plasticity_elem_multiply(0.951229453f, s_v22);
            const float s_in0_I = cur[0];
            const float s_v24 = plasticity_elem_add(s_v23, s_in0_I);
            const float s_v26 = plasticity_elem_multiply(0.995012462f, s_hp1_a);
            const float s_v27 = plasticity_elem_add(s_v26, s_z_prev);
            const float s_v9 = plasticity_elem_subtract(s_v24, 0.600000024f);
            const float s_v10 = plasticity_elem_multiply(1.79999995f, s_v27);
            const float s_v11 = plasticity_elem_subtract(s_v9, s_v10);
            const float s_v12 = plasticity_elem_divide(s_v11, 0.600000024f);
            const float s_v13 = plasticity_elem_heaviside(s_v12);
            const float s_p15 = plasticity_surrogate_piecewise_linear(s_v12, 0.300000012f);
            const float s_v15 = plasticity_elem_subtract(s_hp0_v, 0.600000024f);
            const float s_v16 = plasticity_elem_multiply(1.79999995f, s_hp1_a);
            const float s_v17 = plasticity_elem_subtract(s_v15, s_v16);
            const float s_v18 = plasticity_elem_divide(s_v17, 0.600000024f);
            const float s_p20 = z_prev_live ? plasticity_surrogate_piecewise_linear(s_v18, 0.300000012f) : 0.0f;
            const float s_t2 = plasticity_elem_multiply(1.66666663f, s_p15);
            const float s_t3 = plasticity_elem_multiply((-3.0f), s_p15);
            const float s_t4 = plasticity_elem_multiply(1.66666663f, s_p20);
            const float s_t5 = plasticity_elem_multiply((-3.0f), s_p20);
            const float s_t6 = plasticity_elem_add(s_t5, 0.995012462f);
            const float t0 = s_p15;
            const float t1 = s_p20;
            const float t2 = s_t2;
            const float t3 = s_t3;
            const float t4 = s_t4;
            const float t5 = s_t5;
            const float t6 = s_t6;
            st[0] = s_v24;
            st[1] = s_v27;
            ps[0] = s_t2;
            ps[1] = s_t3;
            a->spike[nj] = s_v13;
            if (jac) {
                if (jac->state_jacobian) {
                    float *m = jac->state_jacobian + nj * 4;
                    m[0] = 0.951229453f;
                    m[1] = 0.0f;
                    m[2] = t4;
                    m[3] = t6;
                }
                if (jac->input_jacobian) {
                    float *m = jac->input_jacobian + nj * 2;
                    m[0] = 1.0f;
                    m[1] = 0.0f;
                }
                if (jac->output_gradient) {
                    float *m = jac->output_gradient + nj * 2;
                    m[0] = t2;
                    m[1] = t3;
                }
            }
        }
    }
}

static void layer0_step(const plasticity_layer_args *a, int t, const float *x_t, int b_begin, int b_end) {
    const int n = a->n, n_in = a->n_in, B = a->batch;
    const float kappa = a->kappa;
    /* the slice's 27 scratch rows, in the block of its first sequence, so that one block stays in cache: */
    /* currents, next spikes, literals, values. The call that starts the slice fills the literals */
    float *work = a->work + (long)a->batch_begin * n * 27;
    float *work0 = work + (long)0 * n;
    float *work1 = work + (long)1 * n;
    float *instant_gain = a->instant_gain;
    const int chunked = a->chunk_steps;
    const int chunk_step = t - a->chunk_first; /* chunked: the step within the chunk */
    /* chunk mode: this step's rows of the chunk record, the slice's, reused by its sequences in turn */
    float *record0 = chunked ? a->chunk_record[0] + ((long)a->batch_begin * a->chunk_steps + t - a->chunk_first) * 6 * n : 0;
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
                plasticity_copy(a->eligibility_vector[0] + ((long)B + b) * n_in * 1, xbar, n_in * 1);
                for (int i = 0; i < n_in; ++i) {
                    float *e = xbar + (long)i * 1;
                    const float e0 = 0.951229453f * e[0] + x[i];
                    e[0] = e0;
                }
            }
            /* projection 1: presynaptic trace of v, shared by all neurons since D and c are constant there */
            {
                float *xbar = a->eligibility_vector[1] + (long)b * n * 1;
                plasticity_copy(a->eligibility_vector[1] + ((long)B + b) * n * 1, xbar, n * 1);
                for (int i = 0; i < n; ++i) {
                    float *e = xbar + (long)i * 1;
                    const float e0 = 0.951229453f * e[0] + z[i];
                    e[0] = e0;
                }
            }
            PLASTICITY_LAP(a->profile, PLASTICITY_PHASE_TRACE_PROPAGATION);
        }
        const int z_prev_live = !(a->spike_is_initial && t == 0); /* z^{-1} is a constant: no derivative */
        /* the neuron body ?kernel IR?: 27 values, 7 temporaries of the local Jacobian */
        float *row_hp0_v = work + (long)2 * n;
        float *row_hp1_a = work + (long)3 * n;
        const float *row_z_prev = a->spike + (long)b * n;
        float *row_v21 = work + (long)4 * n;
        float *row_v22 = work + (long)5 * n;
        float *row_v23 = work + (long)6 * n;
        const float *row_in0_I = work0;
        float *row_v24 = work + (long)7 * n;
        float *row_v26 = work + (long)8 * n;
        float *row_v27 = work + (long)9 * n;
        float *row_v9 = work + (long)10 * n;
        float *row_v10 = work + (long)11 * n;
        float *row_v11 = work + (long)12 * n;
        float *row_v12 = work + (long)13 * n;
        float *row_v13 = work + (long)14 * n;
        float *row_p15 = work + (long)15 * n;
        float *row_v15 = work + (long)16 * n;
        float *row_v16 = work + (long)17 * n;
        float *row_v17 = work + (long)18 * n;
        float *row_v18 = work + (long)19 * n;
        float *row_p20 = work + (long)20 * n;
        float *row_t2 = chunked ? record0 + (long)2 * n : work + (long)21 * n;
        float *row_t3 = chunked ? record0 + (long)3 * n : work + (long)22 * n;
        float *row_t4 = chunked ? record0 + (long)0 * n : work + (long)23 * n;
        float *row_t5 = work + (long)24 * n;
        float *row_t6 = chunked ? record0 + (long)1 * n : work + (long)25 * n;
        #ifdef PLASTICITY_TINYCC
        plasticity_row_deinterleave2(row_hp0_v, row_hp1_a, a->state + (long)b * n * 2, n);
        plasticity_row_multiply_rs(row_v21, row_z_prev, 0.600000024f, n);
        plasticity_row_subtract(row_v22, row_hp0_v, row_v21, n);
        plasticity_row_multiply_sr(row_v23, 0.951229453f, row_v22, n);
        plasticity_row_add(row_v24, row_v23, row_in0_I, n);
        plasticity_row_multiply_sr(row_v26, 0.995012462f, row_hp1_a, n);
        plasticity_row_add(row_v27, row_v26, row_z_prev, n);
        plasticity_row_subtract_rs(row_v9, row_v24, 0.600000024f, n);
        plasticity_row_multiply_sr(row_v10, 1.79999995f, row_v27, n);
        plasticity_row_subtract(row_v11, row_v9, row_v10, n);
        plasticity_row_divide_rs(row_v12, row_v11, 0.600000024f, n);
        plasticity_row_heaviside(row_v13, row_v12, n);
        plasticity_row_surrogate_piecewise_linear(row_p15, row_v12, n, 0.300000012f);
        plasticity_row_subtract_rs(row_v15, row_hp0_v, 0.600000024f, n);
        plasticity_row_multiply_sr(row_v16, 1.79999995f, row_hp1_a, n);
        plasticity_row_subtract(row_v17, row_v15, row_v16, n);
        plasticity_row_divide_rs(row_v18, row_v17, 0.600000024f, n);
        if (z_prev_live) plasticity_row_surrogate_piecewise_linear(row_p20, row_v18, n, 0.300000012f); else plasticity_fill(row_p20, n, 0.0f);
        plasticity_row_multiply_sr(row_t2, 1.66666663f, row_p15, n);
        plasticity_row_multiply_sr(row_t3, (-3.0f), row_p15, n);
        plasticity_row_multiply_sr(row_t4, 1.66666663f, row_p20, n);
        plasticity_row_multiply_sr(row_t5, (-3.0f), row_p20, n);
        plasticity_row_add_rs(row_t6, row_t5, 0.995012462f, n);
        #else
        /* one pass over the neurons: iterations touch element j of each row only */
        #pragma GCC ivdep
        for (int j = 0; j < n; ++j) {
            const float s_hp0_v = (a->state + (long)b * n * 2)[2 * (long)j + 0];
            const float s_hp1_a = (a->state + (long)b * n * 2)[2 * (long)j + 1];
            const float s_v21 = plasticity_elem_multiply(row_z_prev[j], 0.600000024f);
            const float s_v22 = plasticity_elem_subtract(s_hp0_v, s_v21);
            const float s_v23 = plasticity_elem_multiply(0.951229453f, s_v22);
            const float s_v24 = plasticity_elem_add(s_v23, row_in0_I[j]);
            const float s_v26 = plasticity_elem_multiply(0.995012462f, s_hp1_a);
            const float s_v27 = plasticity_elem_add(s_v26, row_z_prev[j]);
            const float s_v9 = plasticity_elem_subtract(s_v24, 0.600000024f);
            const float s_v10 = plasticity_elem_multiply(1.79999995f, s_v27);
            const float s_v11 = plasticity_elem_subtract(s_v9, s_v10);
            const float s_v12 = plasticity_elem_divide(s_v11, 0.600000024f);
            const float s_v13 = plasticity_elem_heaviside(s_v12);
            const float s_p15 = plasticity_surrogate_piecewise_linear(s_v12, 0.300000012f);
            const float s_v15 = plasticity_elem_subtract(s_hp0_v, 0.600000024f);
            const float s_v16 = plasticity_elem_multiply(1.79999995f, s_hp1_a);
            const float s_v17 = plasticity_elem_subtract(s_v15, s_v16);
            const float s_v18 = plasticity_elem_divide(s_v17, 0.600000024f);
            const float s_p20 = z_prev_live ? plasticity_surrogate_piecewise_linear(s_v18, 0.300000012f) : 0.0f;
            const float s_t2 = plasticity_elem_multiply(1.66666663f, s_p15);
            const float s_t3 = plasticity_elem_multiply((-3.0f), s_p15);
            const float s_t4 = plasticity_elem_multiply(1.66666663f, s_p20);
            const float s_t5 = plasticity_elem_multiply((-3.0f), s_p20);
            const float s_t6 = plasticity_elem_add(s_t5, 0.995012462f);
            row_v24[j] = s_v24;
            row_v27[j] = s_v27;
            row_v13[j] = s_v13;
            row_p15[j] = s_p15;
            row_p20[j] = s_p20;
            row_t2[j] = s_t2;
            row_t3[j] = s_t3;
            row_t4[j] = s_t4;
            row_t5[j] = s_t5;
            row_t6[j] = s_t6;
        }
        #endif
        if (instant_gain) {
            float *row_gain26 = work + (long)26 * n;
            plasticity_row_multiply_rs(row_gain26, row_t2, 1.0f, n);
            plasticity_copy(instant_gain + (long)b * n, row_gain26, n);
        }
        PLASTICITY_LAP(a->profile, PLASTICITY_PHASE_NEURON_BODY);
        if (!chunked) for (int j = 0; j < n; ++j) {
            const long nj = (long)b * n + j;
            const float t0 = row_p15[j];
            const float t1 = row_p20[j];
            const float t2 = row_t2[j];
            const float t3 = row_t3[j];
            const float t4 = row_t4[j];
            const float t5 = row_t5[j];
            const float t6 = row_t6[j];
            float *live = a->synapses_live + nj;
            /* psi = 0: rows that are exactly zero stay zero */
            if (*live != 0.0f || !(t2 == 0.0f && t3 == 0.0f && t4 == 0.0f)) {
                *live = 1.0f;
                /* projection 0, input: eligibility 1 shared, 1 per synapse */
                {
                    float *ebar = a->eligibility_trace[0] + nj * n_in;
                    const float *xbar = a->eligibility_vector[0] + (long)b * n_in * 1;
                    float *eps = a->eligibility_vector[0] + (long)B * n_in * 2 + nj * n_in * 1;
                    const float *xbar_prev = a->eligibility_vector[0] + ((long)B + b) * n_in * 1;
                    plasticity_trace1_shared1(eps, ebar, xbar_prev, xbar, 0, n_in, t4, t6, 0.0f, t2, t3, kappa);
                }
                /* projection 1, recurrent: eligibility 1 shared, 1 per synapse */
                {
                    float *ebar = a->eligibility_trace[1] + nj * n;
                    const float *xbar = a->eligibility_vector[1] + (long)b * n * 1;
                    float *eps = a->eligibility_vector[1] + (long)B * n * 2 + nj * n * 1;
                    const float *xbar_prev = a->eligibility_vector[1] + ((long)B + b) * n * 1;
                    plasticity_trace1_shared1(eps, ebar, xbar_prev, xbar, 0, n, t4, t6, 0.0f, t2, t3, kappa);
                }
                if (a->eligibility_sum[0]) {
                    float *esum = a->eligibility_sum[0] + (long)j * n_in;
                    const float *xbar_sum = a->eligibility_vector[0] + (long)b * n_in * 1;
                    const float *eps_sum = a->eligibility_vector[0] + (long)B * n_in * 2 + nj * n_in * 1;
                    for (int i = 0; i < n_in; ++i) esum[i] += t2 * xbar_sum[(long)i * 1 + 0] + t3 * eps_sum[(long)i * 1 + 0];
                }
                if (a->eligibility_trace_sum[0]) {
                    float *bsum = a->eligibility_trace_sum[0] + nj * n_in;
                    const float *ebar_now = a->eligibility_trace[0] + nj * n_in;
                    for (int i = 0; i < n_in; ++i) bsum[i] += ebar_now[i];
                }
                if (a->eligibility_sum[1]) {
                    float *esum = a->eligibility_sum[1] + (long)j * n;
                    const float *xbar_sum = a->eligibility_vector[1] + (long)b * n * 1;
                    const float *eps_sum = a->eligibility_vector[1] + (long)B * n * 2 + nj * n * 1;
                    for (int i = 0; i < n; ++i) esum[i] += t2 * xbar_sum[(long)i * 1 + 0] + t3 * eps_sum[(long)i * 1 + 0];
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
        plasticity_row_interleave2(a->state + (long)b * n * 2, row_v24, row_v27, n);
        plasticity_row_interleave2(a->psi + (long)b * n * 2, row_t2, row_t3, n);
        plasticity_copy(work1, row_v13, n);
        /* optional records */
        if (a->output_record) plasticity_copy(a->output_record + ((long)t * B + b) * n, work1, n);
        if (a->spike_count) plasticity_axpy(a->spike_count, work1, n, 1.0f);
        if (a->state_record) plasticity_copy(a->state_record + ((long)t * B + b) * n * 2, a->state + (long)b * n * 2, n * 2);
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
