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
    {2, 2}, {0, 0}, 0
};

static void layer0_local_step(const plasticity_layer_args *a, const float *current, const plasticity_local_jacobian *jac) {
    const int n = a->n;
    for (int b = a->batch_begin; b < a->batch_end; ++b) {
        for (int j = 0; j < n; ++j) {
            const long nj = (long)b * n + j;
            float *st = a->state + nj * 2;
            float *ps = a->psi + nj * 2;
            const float *cur = current + nj * 1;
            const float hp0_v = st[0];
            const float hp1_a = st[1];
            const float z_prev = a->spike[nj];
            const int z_prev_live = !(a->spike_is_initial); /* z^{-1} is a constant: no derivative */
            const float in0_I = cur[0];
            /* forward: reset, update, output */
            const float v20 = z_prev;
            const float v21 = v20 * 0.600000024f;
            const float v22 = hp0_v - v21;
            const float v23 = 0.951229453f * v22;
            const float v24 = v23 + in0_I;
            const float h0_v = v24;
            const float v26 = 0.995012462f * hp1_a;
            const float v27 = v26 + z_prev;
            const float h1_a = v27;
            const float v9 = h0_v - 0.600000024f;
            const float v10 = 1.79999995f * h1_a;
            const float v11 = v9 - v10;
            const float v12 = v11 / 0.600000024f;
            const float v13 = v12 > 0.0f ? 1.0f : 0.0f;
            const float out = v13;
            const float v15 = hp0_v - 0.600000024f;
            const float v16 = 1.79999995f * hp1_a;
            const float v17 = v15 - v16;
            const float v18 = v17 / 0.600000024f;
            /* local Jacobian: 7 temporaries, elimination order search */
            const float t0 = plasticity_surrogate_piecewise_linear(v12, 0.300000012f);
            const float t1 = (z_prev_live ? plasticity_surrogate_piecewise_linear(v18, 0.300000012f) : 0.0f);
            const float t2 = 1.66666663f * t0;
            const float t3 = (-3.0f) * t0;
            const float t4 = 1.66666663f * t1;
            const float t5 = (-3.0f) * t1;
            const float t6 = t5 + 0.995012462f;
            st[0] = h0_v;
            st[1] = h1_a;
            ps[0] = t2;
            ps[1] = t3;
            a->spike[nj] = out;
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

static void layer0_step(const plasticity_layer_args *a, int t, const float *x_t) {
    const int n = a->n, n_in = a->n_in, B = a->batch;
    const float kappa = a->kappa;
    for (int b = a->batch_begin; b < a->batch_end; ++b) {
        const float *x = x_t + (long)b * n_in;
        const float *z = a->spike + (long)b * n;
        float *work = a->work + (long)b * n * 2;
        /* event-driven input: gather the nonzero presynaptic entries once per step */
        int *active0 = a->active + 0;
        int count0;
        count0 = plasticity_nonzero(x, n_in, active0);
        int *active1 = a->active + 0 + n_in;
        int count1;
        count1 = plasticity_nonzero(z, n, active1);
        /* synaptic input per channel: I_c = sum over projections into c of W x, active columns only, */
        /* as rows of W transposed: each neuron's sum keeps the order of the active inputs */
        {
            float *current = work + (long)0 * n;
            plasticity_fill(current, n, 0.0f);
            for (int q = 0; q < count0; ++q) { const int i = active0[q]; plasticity_axpy(current, a->weights_transposed[0] + (long)i * n, n, x[i]); }
            for (int q = 0; q < count1; ++q) { const int i = active1[q]; plasticity_axpy(current, a->weights_transposed[1] + (long)i * n, n, z[i]); }
        }
        const int chunked = a->chunk_steps;
        if (!chunked) {
        }
        /* loop invariants, hoisted for compilers that do not: this step's chunk records, the gain output */
        float *record0 = chunked ? a->chunk_record[0] + ((long)(t - a->chunk_first) * B + b) * 8 * n : 0;
        float *record0_0 = record0 + (chunked ? 0 * n : 0);
        float *record0_1 = record0 + (chunked ? 1 * n : 0);
        float *record0_2 = record0 + (chunked ? 2 * n : 0);
        float *record0_3 = record0 + (chunked ? 3 * n : 0);
        float *record0_4 = record0 + (chunked ? 4 * n : 0);
        float *record0_5 = record0 + (chunked ? 5 * n : 0);
        float *record0_6 = record0 + (chunked ? 6 * n : 0);
        float *record0_7 = record0 + (chunked ? 7 * n : 0);
        float *work0 = work + (long)0 * n;
        float *work1 = work + (long)1 * n;
        float *instant_gain = a->instant_gain;
        for (int j = 0; j < n; ++j) {
            const long nj = (long)b * n + j;
            float *st = a->state + nj * 2;
            float *ps = a->psi + nj * 2;
            const float hp0_v = st[0];
            const float hp1_a = st[1];
            const float z_prev = a->spike[nj];
            const int z_prev_live = !(a->spike_is_initial && t == 0); /* z^{-1} is a constant: no derivative */
            const float in0_I = work0[j];
            /* forward: reset, update, output */
            const float v20 = z_prev;
            const float v21 = v20 * 0.600000024f;
            const float v22 = hp0_v - v21;
            const float v23 = 0.951229453f * v22;
            const float v24 = v23 + in0_I;
            const float h0_v = v24;
            const float v26 = 0.995012462f * hp1_a;
            const float v27 = v26 + z_prev;
            const float h1_a = v27;
            const float v9 = h0_v - 0.600000024f;
            const float v10 = 1.79999995f * h1_a;
            const float v11 = v9 - v10;
            const float v12 = v11 / 0.600000024f;
            const float v13 = v12 > 0.0f ? 1.0f : 0.0f;
            const float out = v13;
            const float v15 = hp0_v - 0.600000024f;
            const float v16 = 1.79999995f * hp1_a;
            const float v17 = v15 - v16;
            const float v18 = v17 / 0.600000024f;
            /* local Jacobian: 7 temporaries, elimination order search */
            const float t0 = plasticity_surrogate_piecewise_linear(v12, 0.300000012f);
            const float t1 = (z_prev_live ? plasticity_surrogate_piecewise_linear(v18, 0.300000012f) : 0.0f);
            const float t2 = 1.66666663f * t0;
            const float t3 = (-3.0f) * t0;
            const float t4 = 1.66666663f * t1;
            const float t5 = (-3.0f) * t1;
            const float t6 = t5 + 0.995012462f;
            st[0] = h0_v;
            st[1] = h1_a;
            ps[0] = t2;
            ps[1] = t3;
            work1[j] = out;
            if (instant_gain) instant_gain[nj] = t2 * 1.0f;
            if (chunked) {
                record0_0[j] = 0.951229453f;
                record0_1[j] = 0.0f;
                record0_2[j] = t4;
                record0_3[j] = t6;
                record0_4[j] = 1.0f;
                record0_5[j] = 0.0f;
                record0_6[j] = t2;
                record0_7[j] = t3;
            }
            else {
                /* projection 0, input: eligibility vectors, 2 per synapse */
                {
                    float *ebar = a->eligibility_trace[0] + nj * n_in;
                    float *eps = a->eligibility_vector[0] + nj * n_in * 2;
                    plasticity_trace2(eps, ebar, x, n_in, 0.951229453f, 0.0f, t4, t6, 1.0f, 0.0f, t2, t3, kappa);
                }
                /* projection 1, recurrent: eligibility vectors, 2 per synapse */
                {
                    float *ebar = a->eligibility_trace[1] + nj * n;
                    float *eps = a->eligibility_vector[1] + nj * n * 2;
                    plasticity_trace2(eps, ebar, z, n, 0.951229453f, 0.0f, t4, t6, 1.0f, 0.0f, t2, t3, kappa);
                }
                if (a->eligibility_sum[0]) {
                    float *esum = a->eligibility_sum[0] + (long)j * n_in;
                    const float *eps_sum = a->eligibility_vector[0] + nj * n_in * 2;
                    for (int i = 0; i < n_in; ++i) esum[i] += t2 * eps_sum[(long)i * 2 + 0] + t3 * eps_sum[(long)i * 2 + 1];
                }
                if (a->eligibility_trace_sum[0]) {
                    float *bsum = a->eligibility_trace_sum[0] + nj * n_in;
                    const float *ebar_now = a->eligibility_trace[0] + nj * n_in;
                    for (int i = 0; i < n_in; ++i) bsum[i] += ebar_now[i];
                }
                if (a->eligibility_sum[1]) {
                    float *esum = a->eligibility_sum[1] + (long)j * n;
                    const float *eps_sum = a->eligibility_vector[1] + nj * n * 2;
                    for (int i = 0; i < n; ++i) esum[i] += t2 * eps_sum[(long)i * 2 + 0] + t3 * eps_sum[(long)i * 2 + 1];
                }
                if (a->eligibility_trace_sum[1]) {
                    float *bsum = a->eligibility_trace_sum[1] + nj * n;
                    const float *ebar_now = a->eligibility_trace[1] + nj * n;
                    for (int i = 0; i < n; ++i) bsum[i] += ebar_now[i];
                }
            }
        }
        /* optional records, outside the neuron loop */
        if (a->output_record) for (int j = 0; j < n; ++j) a->output_record[((long)t * B + b) * n + j] = work[(long)1 * n + j];
        if (a->spike_count) plasticity_axpy(a->spike_count, work + (long)1 * n, n, 1.0f);
        if (a->state_record) for (long i = 0; i < (long)n * 2; ++i) a->state_record[((long)t * B + b) * n * 2 + i] = a->state[(long)b * n * 2 + i];
        /* the new spikes become the previous spikes of the next step */
        plasticity_copy(a->spike + (long)b * n, work + (long)1 * n, n);
    }
}

const plasticity_kernel_info *plasticity_info(void) { return &layer0_info; }
void plasticity_local_step(const plasticity_layer_args *a, const float *current, const plasticity_local_jacobian *jac) {
    layer0_local_step(a, current, jac);
}
int plasticity_run(const plasticity_layer_args *a) {
    for (int t = 0; t < a->n_steps; ++t) layer0_step(a, t, a->input + (long)t * a->batch * a->n_in);
    return 0;
}
