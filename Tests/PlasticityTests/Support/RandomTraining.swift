import Plasticity

/// Trains `sim` with Adam at `learningRate` on `updates` batches of Bernoulli inputs (rate 0.3)
/// with alternating labels over two classes: the drill of the tests of what updates must keep
/// (signs of projections, bounds and frozen parameters).
func trainOnRandomBatches(_ sim: NetworkSimulation, steps T: Int, updates: Int = 5, learningRate: Double, seed: UInt64) throws {
    var config = OptimizerConfig()
    config.learningRate = learningRate
    let trainer = Trainer(simulation: sim, optimizer: Optimizer(config))
    let (B, nIn) = (sim.batch, sim.network.inputs)
    var rng = SplitMix64(seed: seed)
    for _ in 0..<updates {
        let input = (0..<T * B * nIn).map { _ in Double.random(in: 0..<1, using: &rng) < 0.3 ? Float(1) : 0 }
        _ = try trainer.train(input: input, targets: (0..<T * B).map { Float($0 % 2) }, steps: T)
    }
}
