/* Plasticity kernel for model 'ALIF'. Generated: do not edit. */
/* states: v, a | inputs: I | learnable:  */
/* elimination order: search, 2 multiplies per neuron and step, 1 more in partials */
/* reset gradient: stopped */
#define PLASTICITY_GENERATED 1
#include "plasticity_kernel.h"

static const plasticity_kernel_info kernel_info = {
    PLASTICITY_ABI_VERSION, 2, 1, 0, 2, 1,
    {0, 1}, {0, 0},
    {2, 2}, {0, 0}, 0
};
const plasticity_kernel_info *plasticity_info(void) { return &kernel_info; }

void plasticity_local_step(const plasticity_layer_args *a, const float *current, const plasticity_local_jacobian *jac) {
    const int n = a->n;
    for (int b = 0; b < a->batch; ++b) {
        for (int j = 0; j < n; ++j) {
            const long nj = (long)b * n + j;
            float *st = a->state + nj * 2;
            float *ps = a->psi + nj * 2;
            const float *cur = current + nj * 1;
            const float hp0_v = st[0];
            const float hp1_a = st[1];
            const float z_prev = a->spike[nj];
            const float psi_prev0 = ps[0];
            const float psi_prev1 = ps[1];
            const float in0_I = cur[0];
            /* forward: reset, update, output */
            const float v16 = z_prev;
            const float v17 = v16 * 0.600000024f;
            const float v18 = hp0_v - v17;
            const float v19 = 0.951229453f * v18;
            const float v20 = v19 + in0_I;
            const float h0_v = v20;
            const float v22 = 0.995012462f * hp1_a;
            const float v23 = v22 + z_prev;
            const float h1_a = v23;
            const float v9 = h0_v - 0.600000024f;
            const float v10 = 1.79999995f * h1_a;
            const float v11 = v9 - v10;
            const float v12 = v11 / 0.600000024f;
            const float v13 = v12 > 0.0f ? 1.0f : 0.0f;
            const float out = v13;
            /* local Jacobian: 6 temporaries, elimination order search */
            const float t0 = plasticity_surrogate_piecewise_linear(v12, 0.300000012f);
            const float t1 = psi_prev0;
            const float t2 = psi_prev1;
            const float t3 = 1.66666663f * t0;
            const float t4 = (-3.0f) * t0;
            const float t5 = t2 + 0.995012462f;
            st[0] = h0_v;
            st[1] = h1_a;
            ps[0] = t3;
            ps[1] = t4;
            a->spike[nj] = out;
            if (jac) {
                if (jac->state_jacobian) {
                    float *m = jac->state_jacobian + nj * 4;
                    m[0] = 0.951229453f;
                    m[1] = 0.0f;
                    m[2] = t1;
                    m[3] = t5;
                }
                if (jac->input_jacobian) {
                    float *m = jac->input_jacobian + nj * 2;
                    m[0] = 1.0f;
                    m[1] = 0.0f;
                }
                if (jac->output_gradient) {
                    float *m = jac->output_gradient + nj * 2;
                    m[0] = t3;
                    m[1] = t4;
                }
            }
        }
    }
}

int plasticity_run(const plasticity_layer_args *a) {
    const int n = a->n, n_in = a->n_in, B = a->batch;
    const float kappa = a->kappa;
    for (int t = 0; t < a->n_steps; ++t) {
        const float *x_t = a->input + (long)t * B * n_in;
        for (int b = 0; b < B; ++b) {
            const float *x = x_t + (long)b * n_in;
            const float *z = a->spike + (long)b * n;
            float *work = a->work + (long)b * n * 2;
            /* synaptic input per channel: I_c = sum over projections into c of W x */
            for (int j = 0; j < n; ++j) {
                {
                    float sum = 0.0f;
                    const float *w0 = a->weights[0] + (long)j * n_in;
                    for (int i = 0; i < n_in; ++i) sum += w0[i] * x[i];
                    const float *w1 = a->weights[1] + (long)j * n;
                    for (int i = 0; i < n; ++i) sum += w1[i] * z[i];
                    work[(long)j * 2 + 0] = sum;
                }
            }
            for (int j = 0; j < n; ++j) {
                const long nj = (long)b * n + j;
                float *st = a->state + nj * 2;
                float *ps = a->psi + nj * 2;
                const float hp0_v = st[0];
                const float hp1_a = st[1];
                const float z_prev = a->spike[nj];
                const float psi_prev0 = ps[0];
                const float psi_prev1 = ps[1];
                const float in0_I = work[(long)j * 2 + 0];
                /* forward: reset, update, output */
                const float v16 = z_prev;
                const float v17 = v16 * 0.600000024f;
                const float v18 = hp0_v - v17;
                const float v19 = 0.951229453f * v18;
                const float v20 = v19 + in0_I;
                const float h0_v = v20;
                const float v22 = 0.995012462f * hp1_a;
                const float v23 = v22 + z_prev;
                const float h1_a = v23;
                const float v9 = h0_v - 0.600000024f;
                const float v10 = 1.79999995f * h1_a;
                const float v11 = v9 - v10;
                const float v12 = v11 / 0.600000024f;
                const float v13 = v12 > 0.0f ? 1.0f : 0.0f;
                const float out = v13;
                /* local Jacobian: 6 temporaries, elimination order search */
                const float t0 = plasticity_surrogate_piecewise_linear(v12, 0.300000012f);
                const float t1 = psi_prev0;
                const float t2 = psi_prev1;
                const float t3 = 1.66666663f * t0;
                const float t4 = (-3.0f) * t0;
                const float t5 = t2 + 0.995012462f;
                st[0] = h0_v;
                st[1] = h1_a;
                ps[0] = t3;
                ps[1] = t4;
                work[(long)j * 2 + 1] = out;
                if (a->output_record) a->output_record[((long)t * B + b) * n + j] = out;
                if (a->state_record) {
                    float *rec = a->state_record + (((long)t * B + b) * n + j) * 2;
                    rec[0] = st[0];
                    rec[1] = st[1];
                }
                /* projection 0, input: eligibility vectors, 2 per synapse */
                {
                    float *ebar = a->eligibility_trace[0] + nj * n_in;
                    float *eps = a->eligibility_vector[0] + nj * n_in * 2;
                    for (int i = 0; i < n_in; ++i) {
                        float *e = eps + (long)i * 2;
                        const float x_i = x[i];
                        const float e0 = 0.951229453f * e[0] + x_i;
                        const float e1 = t1 * e[0] + t5 * e[1];
                        e[0] = e0;
                        e[1] = e1;
                        ebar[i] = kappa * ebar[i] + t3 * e0 + t4 * e1;
                    }
                }
                /* projection 1, recurrent: eligibility vectors, 2 per synapse */
                {
                    float *ebar = a->eligibility_trace[1] + nj * n;
                    float *eps = a->eligibility_vector[1] + nj * n * 2;
                    for (int i = 0; i < n; ++i) {
                        float *e = eps + (long)i * 2;
                        const float x_i = z[i];
                        const float e0 = 0.951229453f * e[0] + x_i;
                        const float e1 = t1 * e[0] + t5 * e[1];
                        e[0] = e0;
                        e[1] = e1;
                        ebar[i] = kappa * ebar[i] + t3 * e0 + t4 * e1;
                    }
                }
            }
            /* the new spikes become the previous spikes of the next step */
            for (int j = 0; j < n; ++j) a->spike[(long)b * n + j] = work[(long)j * 2 + 1];
        }
    }
    return 0;
}
