import Testing
@testable import ChromasongServer
