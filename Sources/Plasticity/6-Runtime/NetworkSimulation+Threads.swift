import Foundation
import PlasticityRuntime

/// Threads over slices of the batch. Sequences are independent, so every `[batch]` buffer is
/// shared (each thread writes only its own sequences); what the kernel accumulates over the
/// batch — gradients, spike counts, Σe, the learning-signal scratch and the active-index
/// scratch — is private to each thread and summed into the simulation's buffers afterwards.
extension NetworkSimulation {
    /// One extra thread's private accumulators.
    final class SliceBuffers {
        let weightGradients: [[FloatBuffer]]
        let parameterGradients: [FloatBuffer]
        let readoutWeightGradient, readoutBiasGradient, learningSignal: FloatBuffer
        let active: [UnsafeMutablePointer<Int32>]
        /// Per layer: spike counts, Σe per projection, Σe of parameters (allocated when the layer keeps them).
        var spikeCounts: [FloatBuffer?], eligibilitySums: [[FloatBuffer]], parameterEligibilitySums: [FloatBuffer?]
        /// Chunk mode, per layer and projection: the call's gradient and Σe before the flush [n_pre][n].
        let chunkGradients: [[FloatBuffer?]]
        var chunkEligibilitySums: [[FloatBuffer?]]
        /// Chunk mode, per layer: the scratch of the chunk's inputs by presynaptic index.
        let chunkEvents: [FloatBuffer?]

        init(_ sim: NetworkSimulation) {
            weightGradients = sim.weightGradients.map { $0.map { FloatBuffer(count: $0.count) } }
            parameterGradients = sim.parameterGradients.map { FloatBuffer(count: $0.count) }
            readoutWeightGradient = FloatBuffer(count: sim.readoutWeightGradient.count)
            readoutBiasGradient = FloatBuffer(count: sim.readoutBiasGradient.count)
            learningSignal = FloatBuffer(count: sim.network.hidden.count * sim.network.hidden.map(\.neurons).max()!)
            active = sim.layers.map { layer in
                let pointer = UnsafeMutablePointer<Int32>.allocate(capacity: layer.activeCount)
                pointer.initialize(repeating: 0, count: layer.activeCount)
                return pointer
            }
            chunkGradients = sim.layers.map { $0.chunkGradients.map { $0.map { FloatBuffer(count: $0.count) } } }
            chunkEligibilitySums = sim.layers.map { $0.chunkGradients.map { _ in nil } }
            chunkEvents = sim.layers.map { $0.chunkEvents.map { FloatBuffer(count: $0.count) } }
            spikeCounts = sim.layers.map { _ in nil }
            eligibilitySums = sim.layers.map { _ in [] }
            parameterEligibilitySums = sim.layers.map { _ in nil }
        }
        deinit { active.forEach { $0.deallocate() } }

    }

    /// Runs the kernel on `args` (the whole batch), on `threads` slices when there are enough sequences.
    func runSlices(_ args: inout plasticity_network_args) {
        let slices = min(max(threads, 1), batch)
        profile?.prepare(slices: slices)
        defer { profile?.collect(slices: slices) }
        guard slices > 1 else {
            if let profile { attach(&args, profile.slots(of: 0)) }
            _ = kernel.run(&args)
            return
        }
        while sliceBuffers.count < slices - 1 { sliceBuffers.append(SliceBuffers(self)) }
        var all = [plasticity_network_args](repeating: args, count: slices)
        for s in 0..<slices {
            let begin = Int32(batch * s / slices), end = Int32(batch * (s + 1) / slices)
            all[s].batch_begin = begin; all[s].batch_end = end
            withUnsafeMutableBytes(of: &all[s].layers) { raw in
                let layerArgs = raw.bindMemory(to: plasticity_layer_args.self)
                for l in layers.indices { layerArgs[l].batch_begin = begin; layerArgs[l].batch_end = end }
            }
            if s > 0 { privatize(&all[s], sliceBuffers[s - 1]) }
            if let profile { attach(&all[s], profile.slots(of: s)) }
        }
        all.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!, kernel = self.kernel
            nonisolated(unsafe) let shared = base
            DispatchQueue.concurrentPerform(iterations: slices) { s in _ = kernel.run(shared + s) }
        }
        // Outcomes: sums, and the earliest failure.
        args.loss_sum = all.reduce(0) { $0 + $1.loss_sum }
        args.correct = all.reduce(0) { $0 + $1.correct }
        args.counted = all.reduce(0) { $0 + $1.counted }
        let failed = all.filter { $0.failed_step >= 0 }.min { $0.failed_step < $1.failed_step }
        args.failed_step = failed?.failed_step ?? -1
        args.failed_tensor = failed?.failed_tensor ?? PLASTICITY_TENSOR_NONE
        for slice in sliceBuffers.prefix(slices - 1) {
            for (target, source) in accumulatorPairs(slice) {
                let t = target.pointer, x = source.pointer
                for i in 0..<t.count { t[i] += x[i] }
            }
        }
    }

    /// Points a call's profile fields (the network's and its layers') at a slice's profile slots.
    private func attach(_ a: inout plasticity_network_args, _ slots: UnsafeMutablePointer<UInt64>) {
        a.profile = slots
        withUnsafeMutableBytes(of: &a.layers) { raw in
            let layerArgs = raw.bindMemory(to: plasticity_layer_args.self)
            for l in layers.indices {
                layerArgs[l].profile = slots
                layerArgs[l].profile_events = slots + ProfilePhase.eventSlot + 2 * l
            }
        }
    }

    /// (the simulation's buffer, the slice's private one) for everything this call accumulates.
    private func accumulatorPairs(_ slice: SliceBuffers) -> [(FloatBuffer, FloatBuffer)] {
        var pairs = Array(zip(weightGradients.flatMap { $0 }, slice.weightGradients.flatMap { $0 }))
        pairs += zip(parameterGradients, slice.parameterGradients)
        pairs += [(readoutWeightGradient, slice.readoutWeightGradient), (readoutBiasGradient, slice.readoutBiasGradient)]
        for (l, layer) in layers.enumerated() {
            if layer.keepsSpikeCount { pairs.append((layer.spikeCount!, slice.spikeCounts[l]!)) }
            if layer.keepsEligibilitySums {
                pairs += zip(layer.eligibilitySums, slice.eligibilitySums[l])
                pairs.append((layer.parameterEligibilitySum!, slice.parameterEligibilitySums[l]!))
            }
        }
        return pairs
    }

    /// Points a slice's accumulating fields at its private buffers, zeroed.
    private func privatize(_ a: inout plasticity_network_args, _ slice: SliceBuffers) {
        withUnsafeMutableBytes(of: &a.grad_weights) { raw in
            let slots = raw.bindMemory(to: UnsafeMutablePointer<Float>?.self)
            for (l, grads) in slice.weightGradients.enumerated() { for (p, g) in grads.enumerated() { slots[l * LayerSpec.maxProjections
                + p] = g.base } }
        }
        withUnsafeMutableBytes(of: &a.grad_params) { raw in
            let slots = raw.bindMemory(to: UnsafeMutablePointer<Float>?.self)
            for (l, g) in slice.parameterGradients.enumerated() { slots[l] = g.base }
        }
        a.grad_readout_weights = slice.readoutWeightGradient.base
        a.grad_readout_bias = slice.readoutBiasGradient.base
        a.learning_signal = slice.learningSignal.base
        withUnsafeMutableBytes(of: &a.layers) { raw in
            let layerArgs = raw.bindMemory(to: plasticity_layer_args.self)
            for (l, layer) in layers.enumerated() {
                layerArgs[l].active = slice.active[l]
                if layer.chunkSteps > 0 {
                    setProjectionSlots(&layerArgs[l].chunk_gradient, slice.chunkGradients[l])
                    layerArgs[l].chunk_events = slice.chunkEvents[l]!.eventSlots
                    if layer.keepsEligibilitySums {
                        for (p, g) in slice.chunkGradients[l].enumerated() where g != nil && slice.chunkEligibilitySums[l][p] == nil {
                            slice.chunkEligibilitySums[l][p] = FloatBuffer(count: g!.count)
                        }
                        setProjectionSlots(&layerArgs[l].chunk_eligibility_sum, slice.chunkEligibilitySums[l])
                    }
                    // a call that stopped early (non-finite) left them unflushed
                    for buffer in (slice.chunkGradients[l] + slice.chunkEligibilitySums[l]).compactMap({ $0 }) { buffer.pointer.update(repeating: 0) }
                }
                if layer.keepsSpikeCount {
                    if slice.spikeCounts[l] == nil { slice.spikeCounts[l] = FloatBuffer(count: layer.neurons) }
                    layerArgs[l].spike_count = slice.spikeCounts[l]!.base
                }
                if layer.keepsEligibilitySums {
                    if slice.eligibilitySums[l].isEmpty {
                        slice.eligibilitySums[l] = layer.eligibilitySums.map { FloatBuffer(count: $0.count) }
                        slice.parameterEligibilitySums[l] = FloatBuffer(count: layer.parameterEligibilitySum!.count)
                    }
                    withUnsafeMutableBytes(of: &layerArgs[l].eligibility_sum) { raw in
                        let slots = raw.bindMemory(to: UnsafeMutablePointer<Float>?.self)
                        for (p, e) in slice.eligibilitySums[l].enumerated() { slots[p] = e.base }
                    }
                    layerArgs[l].param_eligibility_sum = slice.parameterEligibilitySums[l]!.base
                }
            }
        }
        for (_, buffer) in accumulatorPairs(slice) { buffer.pointer.update(repeating: 0) }
    }
}
