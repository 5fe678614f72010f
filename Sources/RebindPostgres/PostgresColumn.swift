import NIOCore
import PostgresNIO

/// One column of a multi-row statement: an array parameter that `unnest` turns into rows, with
/// NULL for a nil element (PostgresNIO's own arrays take no optionals). Binary array format:
/// dimensions, has-nulls flag, element type, then per dimension its length and lower bound,
/// then each element as its length (-1 for NULL) and bytes.
struct PostgresColumn<Element: PostgresArrayEncodable & PostgresNonThrowingEncodable>: PostgresNonThrowingEncodable {
    /// The array in its binary form, written when the column is made: there the element type
    /// is known and the code specialised for it. `encode` is called from PostgresNIO's generic
    /// code, where checking each value for nil and encoding it went through the element type's
    /// metadata (4.6 % of an event's CPU on PostgreSQL, bench/README.md, issue 15).
    private let encoded: ByteBuffer

    init(_ values: [Element?]) {
        var buffer = ByteBuffer()
        buffer.writeInteger(values.isEmpty ? 0 : 1, as: Int32.self)
        buffer.writeInteger(values.contains { $0 == nil } ? 1 : 0, as: Int32.self)
        buffer.writeInteger(Element.psqlType.rawValue)
        if !values.isEmpty {
            buffer.writeInteger(Int32(values.count), as: Int32.self)
            buffer.writeInteger(1, as: Int32.self)
            for value in values {
                if let value {
                    let lengthIndex = buffer.writerIndex
                    buffer.writeInteger(0, as: Int32.self)
                    let start = buffer.writerIndex
                    value.encode(into: &buffer, context: .default)
                    buffer.setInteger(Int32(buffer.writerIndex - start), at: lengthIndex, as: Int32.self)
                } else {
                    buffer.writeInteger(-1, as: Int32.self)
                }
            }
        }
        encoded = buffer
    }

    static var psqlType: PostgresDataType { Element.psqlArrayType }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        buffer.writeImmutableBuffer(encoded)
    }
}
