import Foundation
import RebindCore
import RebindExchanges
import Testing

/// The published vectors of shared/reference/test-vectors.md, pinned, and the encoding
/// rules around them.
@Suite("Exchange request signing")
struct SigningVectorTests {
    static let binanceSecret = Secret("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
    static let binancePayload =
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    static let binanceSignature = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"

    @Test("Binance: the documented payload signs to the documented hex signature")
    func binanceVector() {
        #expect(BinanceSigner(secret: Self.binanceSecret).signature(query: Self.binancePayload) == Self.binanceSignature)
    }

    @Test("Binance: the signed query is the parameters, recvWindow and timestamp, then the signature over them")
    func binanceSignedQuery() {
        let parameters: [(name: String, value: String)] = [
            ("symbol", "LTCBTC"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"), ("quantity", "1"), ("price", "0.1"),
        ]
        let query = BinanceSigner(secret: Self.binanceSecret).signedQuery(parameters, timestamp: 1_499_827_319_559, recvWindow: 5000)
        #expect(query == Self.binancePayload + "&signature=" + Self.binanceSignature)
    }

    @Test("Binance: the query string is followed directly by the body, with no separator")
    func binanceQueryThenBody() {
        // The same documentation's example with the parameters split between query and body.
        let signer = BinanceSigner(secret: Self.binanceSecret)
        let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
        let body = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        #expect(signer.signature(query: query, body: body) == "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77")
        #expect(signer.signature(query: query, body: body) == signer.signature(query: query + body))
    }

    @Test("Binance: non-ASCII is percent-encoded as UTF-8 before it is signed")
    func binanceNonASCII() {
        let signer = BinanceSigner(secret: Self.binanceSecret)
        let query = signer.signedQuery([("symbol", "１２３４５６"), ("note", "a b&c")], timestamp: 1_499_827_319_559, recvWindow: 5000)
        let encoded = "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&note=a%20b%26c&recvWindow=5000&timestamp=1499827319559"
        #expect(query == encoded + "&signature=" + signer.signature(query: encoded))
        #expect(query.allSatisfy { $0.isASCII })
    }

    static let okxSecret = Secret("22582BD0CFF14C41EDBF1AB98506286D")

    @Test("OKX: the documented prehash signs to the pinned Base64 signature")
    func okxVector() {
        let signature = OKXSigner(secret: Self.okxSecret).signature(
            timestamp: "2020-12-08T09:08:57.715Z",
            method: "GET",
            requestPath: "/api/v5/account/balance?ccy=BTC"
        )
        #expect(signature == "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=")
    }

    @Test("OKX: the method is signed in upper case")
    func okxMethodCase() {
        let signer = OKXSigner(secret: Self.okxSecret)
        #expect(
            signer.signature(timestamp: "2020-12-08T09:08:57.715Z", method: "get", requestPath: "/api/v5/account/balance?ccy=BTC")
                == "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="
        )
    }

    @Test("OKX: timestamps are ISO-8601 UTC with exactly three digits of milliseconds")
    func okxTimestamp() {
        #expect(OKXSigner.timestamp(milliseconds: 1_607_418_537_715) == "2020-12-08T09:08:57.715Z")
        #expect(OKXSigner.timestamp(milliseconds: 1_607_418_537_005) == "2020-12-08T09:08:57.005Z")
        #expect(OKXSigner.timestamp(milliseconds: 1_607_418_537_000) == "2020-12-08T09:08:57.000Z")
        #expect(OKXSigner.timestamp(Date(timeIntervalSince1970: 1_607_418_537.7159)) == "2020-12-08T09:08:57.715Z")
    }

    @Test("OKX: the four access headers carry key, signature, timestamp and passphrase")
    func okxHeaders() {
        let headers = OKXSigner(secret: Self.okxSecret).headers(
            apiKey: "key-1",
            passphrase: Secret("Passphrase-1"),
            timestamp: "2020-12-08T09:08:57.715Z",
            method: "GET",
            requestPath: "/api/v5/account/balance?ccy=BTC"
        )
        #expect(headers.map(\.name) == ["OK-ACCESS-KEY", "OK-ACCESS-SIGN", "OK-ACCESS-TIMESTAMP", "OK-ACCESS-PASSPHRASE"])
        #expect(headers.map(\.value) == ["key-1", "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=", "2020-12-08T09:08:57.715Z", "Passphrase-1"])
    }
}
