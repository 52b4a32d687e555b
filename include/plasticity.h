/*
 * Plasticity's C ABI: the library libPlasticityC (a Swift library product that links the Swift
 * runtime and Foundation statically when built as `python/` builds it), for callers in any
 * language: the Python package `plasticity` (python/) calls it through ctypes.
 *
 * Conventions (docs/python.md):
 *  - Every function returns a status; on anything but PLASTICITY_OK, plasticity_last_error() on
 *    the same thread holds the message (the text the CLI prints for the same defect). Nothing
 *    traps across the boundary: every pointer, size, name and handle is checked first.
 *  - Objects are handles (uint64_t): a freed or unknown handle is an error, not a crash.
 *  - Strings returned through `char **` are allocated by the library; free them with
 *    plasticity_string_free. Strings passed in are UTF-8 and NUL-terminated.
 *  - Arrays are float32, caller-owned, C order, time first: input [T][B][n_in], targets [T][B]
 *    (class labels as whole numbers, or -1 for an unlabelled step where the loss allows it) or
 *    [T][B][n_out]; each comes with its element count, which must match.
 *  - JSON texts follow the files of the same name: a model in the model file format
 *    (docs/model-format.md), a network in the network schema (`plasticity gradcheck --config`),
 *    a train config (README), an optimizer as the train config's training section names it.
 */
#ifndef PLASTICITY_H
#define PLASTICITY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PLASTICITY_ABI_VERSION 1

enum plasticity_status {
    PLASTICITY_OK = 0,
    PLASTICITY_INVALID_ARGUMENT = 1, /* a null pointer, a count that does not match, an unknown name or handle */
    PLASTICITY_BAD_INPUT = 2,        /* a model, network, config, file or tensor value refused; the message names it */
    PLASTICITY_NON_FINITE = 3,       /* a run met a non-finite value; the message names the step and tensor */
    PLASTICITY_FAILED = 4,           /* anything else; the message says what */
};

int32_t plasticity_abi_version(void);
const char *plasticity_last_error(void);
void plasticity_string_free(char *text);

/* Models. `model_json`: the model file format (expressions as trees or infix text). */
int32_t plasticity_model_builtin(const char *name, char **model_json);
/* The model checked and written as Plasticity writes model files ("tree" or "text" expressions). */
int32_t plasticity_model_text(const char *model_json, const char *expressions, char **model_text);
/* One compiler stage ("model", "graph", "dot", "plan", "kernel", "c") of a model as one layer
 * (`recurrent`: with its own recurrence), or of a whole network when `network_json` is not NULL. */
int32_t plasticity_compile_stage(const char *model_json, int32_t recurrent, const char *network_json, const char *stage, char **text);

/* Simulations of a network (the network schema), `batch` sequences at a time, weights drawn
 * with `seed`; `backend`: "tinyCC" or "systemCC"; `chunk_steps` > 0: e-prop's exact traces in
 * chunks of that many steps (faster; the same gradients to float32 rounding), 0: step by step. */
int32_t plasticity_simulation_create(const char *network_json, const char *backend, int64_t batch, int64_t chunk_steps, uint64_t seed,
                                     uint64_t *handle);
/* A simulation holding a checkpoint's network and weights (checkpoint.json or best.json of a run). */
int32_t plasticity_simulation_load(const char *checkpoint, int64_t batch, uint64_t *handle);
int32_t plasticity_simulation_free(uint64_t handle);
/* {"inputs", "outputs", "batch", "hidden": [sizes], "states": [[names] per layer], "targetWidth", "tensors": [{"name", "shape"}]} */
int32_t plasticity_simulation_describe(uint64_t handle, char **json);
int32_t plasticity_tensor_get(uint64_t handle, const char *name, float *values, int64_t count);
int32_t plasticity_tensor_set(uint64_t handle, const char *name, const float *values, int64_t count);
/* A forward pass from rest: readout [T][B][n_out]; spikes (may be NULL) every hidden layer's
 * [T][B][n_l], one layer after another; states (may be NULL) every hidden layer's
 * [T][B][n_l][k_l] at the end of each step, one layer after another (names and k_l: describe);
 * loss (may be NULL; NaN without targets). */
int32_t plasticity_simulation_run(uint64_t handle, const float *input, int64_t steps, int64_t batch, int64_t inputs,
                                  const float *targets, int64_t target_count, float *readout, int64_t readout_count,
                                  float *spikes, int64_t spike_count, float *states, int64_t state_count, double *loss);
/* Gradients of one batch by "eprop" (the fused kernel), "bptt" or "rtrl" (the exact oracles); read
 * them with plasticity_gradient_get under the tensors' names (layer0.w0, readout.w, ...). */
int32_t plasticity_simulation_gradients(uint64_t handle, const char *method, const float *input, int64_t steps, int64_t batch,
                                        int64_t inputs, const float *targets, int64_t target_count, double *loss);
int32_t plasticity_gradient_get(uint64_t handle, const char *name, float *values, int64_t count);

/* Trainers over a simulation: `optimizer_json` as the train config's training section
 * ({"optimizer": "adam", "learningRate": 1e-3, ...}; NULL: the defaults); `update_every` > 0:
 * online updates every that many steps, 0: once per batch; `method`: "eprop" or "bptt". */
int32_t plasticity_trainer_create(uint64_t simulation, const char *training_json, int64_t update_every, const char *method,
                                  uint64_t *handle);
int32_t plasticity_trainer_free(uint64_t handle);
/* The trainer's weights and optimizer state as a checkpoint (`path`.json + weights), at
 * `iteration`; plasticity_simulation_load and `plasticity eval CHECKPOINT --data FILE` read it. */
int32_t plasticity_trainer_save(uint64_t handle, const char *path, int64_t iteration, int32_t overwrite);
/* A checkpoint's weights and optimizer state into this trainer (and its simulation), whose
 * network must be the checkpoint's; `iteration` (may be NULL) receives the checkpoint's. */
int32_t plasticity_trainer_load(uint64_t handle, const char *path, int64_t *iteration);
int32_t plasticity_trainer_step(uint64_t handle, const float *input, int64_t steps, int64_t batch, int64_t inputs,
                                const float *targets, int64_t target_count, double *loss, double *accuracy);

/* What the CLI's commands do, with the same files and figures. */
int32_t plasticity_train(const char *config_json, const char *out, int32_t overwrite, char **summary_json);
int32_t plasticity_evaluate(const char *checkpoint, const char *data, char **result_json);
int32_t plasticity_nir_export(const char *checkpoint, const char *path, const char *profile, int32_t overwrite, char **notes_json);
/* `profile` NULL: nir for export; for import, as the file says. `dt` NaN: the file's (or the profile's) step. */
int32_t plasticity_nir_import(const char *path, const char *out, const char *profile, double dt, const char *config_json,
                              char **checkpoint_path);

#ifdef __cplusplus
}
#endif
#endif
