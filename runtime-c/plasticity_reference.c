/* Hand-written e-prop for recurrent LIF / ALIF (see include/plasticity_reference.h). */
#include "plasticity_build.h"   /* first: contraction off for every function below, inline helpers too */
#include "plasticity_reference.h"
#define PLASTICITY_GENERATED 1     /* the kernels' inline helpers: the same surrogate functions */
#include "plasticity_kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float surrogate(const plasticity_reference_args *r, float g) {
    return r->alif ? plasticity_surrogate_piecewise_linear(g, r->surrogate_scale)
                   : plasticity_surrogate_fast_sigmoid(g, r->surrogate_scale);
}

/* One projection's trace and gradient rows for neuron j: ē = κ ē + ψ (x̄ − β ε_a). */
static void update_traces(float *restrict ebar, float *restrict eps_a, const float *restrict xbar_prev, const float *restrict xbar,
                          int n_pre, float psi, float kappa, int alif, float d_av, float d_aa, float beta) {
    if (!alif) {
        for (int i = 0; i < n_pre; ++i) ebar[i] = kappa * ebar[i] + psi * xbar[i];
        return;
    }
    for (int i = 0; i < n_pre; ++i) {
        const float ea = d_av * xbar_prev[i] + d_aa * eps_a[i];
        eps_a[i] = ea;
        ebar[i] = kappa * ebar[i] + psi * xbar[i] - psi * beta * ea;
    }
}

int plasticity_reference_eprop(plasticity_reference_args *r) {
    const int B = r->batch, n_in = r->n_in, n = r->n, n_out = r->n_out, T = r->n_steps, alif = r->alif;
    const float alpha = r->alpha, rho = r->rho, beta = alif ? r->beta : 0.0f, thr = r->threshold, kappa = r->kappa;
    /* Per sequence: v, a, z (previous and new), σ'(g^{t-1}), presynaptic traces (now and one
     * step back), ε_a per synapse (ALIF), ē per synapse, readout state and traces. */
    const size_t syn_in = (size_t)n * n_in, syn_rec = (size_t)n * n;
    const size_t per_b = 5 * (size_t)n + 2 * (size_t)(n_in + n) + (alif ? syn_in + syn_rec : 0) + syn_in + syn_rec + 2 * (size_t)n_out + n + 1;
    float *all = calloc(per_b * (size_t)B + (size_t)n + (size_t)(n_in + n), sizeof(float));
    int *active = malloc(sizeof(int) * (size_t)(n_in + n + 1));
    if (!all || !active) { free(all); free(active); return -1; }
    float *signal = all + per_b * (size_t)B;
    r->loss = 0;
    /* One sequence at a time, as the generated kernels: its traces stay in cache from step to step. */
    for (int b = 0; b < B; ++b) {
        for (int t = 0; t < T; ++t) {
            float *p = all + per_b * (size_t)b;
            float *v = p, *a = v + n, *z_prev = a + n, *z = z_prev + n, *sg_prev = z + n;
            float *xbar_in = sg_prev + n, *xbar_rec = xbar_in + n_in, *xbar_in_prev = xbar_rec + n, *xbar_rec_prev = xbar_in_prev + n_in;
            float *eps_in = xbar_rec_prev + n, *eps_rec = eps_in + (alif ? syn_in : 0);
            float *ebar_in = eps_rec + (alif ? syn_rec : 0), *ebar_rec = ebar_in + syn_in;
            float *y = ebar_rec + syn_rec, *err = y + n_out, *zbar = err + n_out, *bias_trace = zbar + n;
            const float *x = r->input + ((size_t)t * B + b) * n_in;

            /* Input currents from active presynaptic entries only. */
            int count_in = 0, count_rec = 0;
            for (int i = 0; i < n_in; ++i) if (x[i] != 0.0f) active[count_in++] = i;
            int *active_rec = active + count_in;
            for (int i = 0; i < n; ++i) if (z_prev[i] != 0.0f) active_rec[count_rec++] = i;
            /* Presynaptic traces (ε_v), keeping the previous ones for ε_a. */
            memcpy(xbar_in_prev, xbar_in, sizeof(float) * (size_t)n_in);
            memcpy(xbar_rec_prev, xbar_rec, sizeof(float) * (size_t)n);
            for (int i = 0; i < n_in; ++i) xbar_in[i] = alpha * xbar_in[i] + x[i];
            for (int i = 0; i < n; ++i) xbar_rec[i] = alpha * xbar_rec[i] + z_prev[i];

            for (int j = 0; j < n; ++j) {
                const float *wi = r->w_in + (size_t)j * n_in, *wr = r->w_rec + (size_t)j * n;
                float current = 0.0f;
                for (int q = 0; q < count_in; ++q) current += wi[active[q]] * x[active[q]];
                for (int q = 0; q < count_rec; ++q) current += wr[active_rec[q]] * z_prev[active_rec[q]];
                v[j] = alpha * (v[j] - z_prev[j] * thr) + current;
                if (alif) a[j] = rho * a[j] + z_prev[j];
                const float g = (v[j] - thr - beta * a[j]) / thr;
                z[j] = g > 0.0f ? 1.0f : 0.0f;
                const float sg = surrogate(r, g) / thr;
                /* ∂a^t/∂v^{t-1} and ∂a^t/∂a^{t-1}, through z^{t-1} (zero at t = 0: z^{-1} is a constant). */
                const float d_av = sg_prev[j], d_aa = rho - beta * sg_prev[j];
                update_traces(ebar_in + (size_t)j * n_in, eps_in + (alif ? (size_t)j * n_in : 0), xbar_in_prev, xbar_in,
                              n_in, sg, kappa, alif, d_av, d_aa, beta);
                update_traces(ebar_rec + (size_t)j * n, eps_rec + (alif ? (size_t)j * n : 0), xbar_rec_prev, xbar_rec,
                              n, sg, kappa, alif, d_av, d_aa, beta);
                sg_prev[j] = sg;
            }
            memcpy(z_prev, z, sizeof(float) * (size_t)n);

            /* Readout, loss, learning signals, gradients. */
            for (int j = 0; j < n; ++j) zbar[j] = kappa * zbar[j] + z[j];
            bias_trace[0] = kappa * bias_trace[0] + 1.0f;
            for (int o = 0; o < n_out; ++o) {
                const float *wo = r->w_out + (size_t)o * n;
                float s = r->b_out[o];
                for (int j = 0; j < n; ++j) s += wo[j] * z[j];
                y[o] = kappa * y[o] + s;
            }
            const float code = r->targets[(size_t)t * B + b];
            if (!(code >= 0.0f)) continue;
            const int label = (int)code;
            float top = y[0], total = 0.0f;
            for (int o = 1; o < n_out; ++o) if (y[o] > top) top = y[o];
            for (int o = 0; o < n_out; ++o) { err[o] = expf(y[o] - top); total += err[o]; }
            for (int o = 0; o < n_out; ++o) err[o] = err[o] / total - (o == label ? 1.0f : 0.0f);
            r->loss -= (double)(y[label] - top - logf(total));
            for (int o = 0; o < n_out; ++o) {
                float *g = r->grad_out + (size_t)o * n;
                for (int j = 0; j < n; ++j) g[j] += err[o] * zbar[j];
                r->grad_bias[o] += err[o] * bias_trace[0];
            }
            for (int j = 0; j < n; ++j) {
                float s = 0.0f;
                for (int o = 0; o < n_out; ++o) s += r->w_out[(size_t)o * n + j] * err[o];
                signal[j] = s;
            }
            for (int j = 0; j < n; ++j) {
                const float s = signal[j];
                if (s == 0.0f) continue;
                float *gi = r->grad_in + (size_t)j * n_in, *gr = r->grad_rec + (size_t)j * n;
                const float *ei = ebar_in + (size_t)j * n_in, *er = ebar_rec + (size_t)j * n;
                for (int i = 0; i < n_in; ++i) gi[i] += s * ei[i];
                for (int i = 0; i < n; ++i) gr[i] += s * er[i];
            }
        }
    }
    free(all); free(active);
    return 0;
}
