import Foundation

extension Incident {
    /// What an incident's robots add up to, kept beside the incident and changed by each event
    /// as its one robot changes, so no event reads the others: how many robots are listed, how
    /// many are still halted (none left resolves the incident), whether the new key must trade
    /// futures, and what the halted robots leave unmanaged (DESIGN §10).
    public struct Totals: Sendable, Equatable {
        /// Every robot listed, resumed ones included.
        public var robots: Int
        /// Robots paused or stopped.
        public var halted: Int
        /// Halted robots that trade futures: while any is, a new key must trade futures.
        public var haltedFutures: Int
        /// The halted robots' open positions.
        public var openPositions: Int
        /// The halted robots' exposure, summed per currency; a currency whose sum is 0 is left
        /// out. Bounded by the currencies, not the robots.
        public var exposure: [String: Decimal]

        public init(robots: Int = 0, halted: Int = 0, haltedFutures: Int = 0, openPositions: Int = 0, exposure: [String: Decimal] = [:]) {
            self.robots = robots
            self.halted = halted
            self.haltedFutures = haltedFutures
            self.openPositions = openPositions
            self.exposure = exposure
        }

        /// The exposure sums as plain decimal strings (`["USDT": "1234.56"]`), which keep every
        /// digit: how the stores keep them.
        public var exposureAmounts: [String: String] { exposure.mapValues { "\($0)" } }

        /// Exposure sums from `exposureAmounts`; nil when an amount is not a plain decimal.
        public static func exposure(amounts: [String: String]) -> [String: Decimal]? {
            var sums: [String: Decimal] = [:]
            for (currency, amount) in amounts {
                guard let value = RobotEvent.Robot.Exposure(amount: amount, currency: currency).value else { return nil }
                sums[currency] = value
            }
            return sums
        }

        /// Whether a new key must trade futures.
        public var needsFutures: Bool { haltedFutures > 0 }

        /// A robot's row changed from `old` (nil: it is new to the incident) to `new`.
        public mutating func replace(_ old: AffectedRobot?, with new: AffectedRobot) {
            if let old {
                count(old, as: -1)
            } else {
                robots += 1
            }
            count(new, as: 1)
        }

        /// Adds (`sign` 1) or takes away (-1) what a robot contributes; a resumed robot
        /// contributes nothing.
        private mutating func count(_ robot: AffectedRobot, as sign: Int) {
            guard robot.state != .resumed else { return }
            halted += sign
            if robot.futures == true { haltedFutures += sign }
            openPositions += sign * (robot.openPositions ?? 0)
            if let exposure = robot.exposure, let value = exposure.value {
                let sum = (self.exposure[exposure.currency] ?? 0) + Decimal(sign) * value
                self.exposure[exposure.currency] = sum == 0 ? nil : sum
            }
        }
    }
}
