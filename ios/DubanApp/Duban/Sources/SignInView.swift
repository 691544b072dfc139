// Sign-in: the server's address, the account and the password. A refusal shows the core's
// sentence (zh-CN).

import DubanCore
import SwiftUI

@MainActor
struct SignInView: View {
    @EnvironmentObject var store: DubanStore
    @State var server = ""
    @State var username = ""
    @State var password = ""
    @State var busy = false
    @State var failure: Failure? = nil

    var body: some View {
        NavigationStack {
            Form {
                Section {
                    TextField("服务器地址", text: $server, prompt: Text(verbatim: "https://duban.example.gov.cn"))
                        .keyboardType(.URL)
                        .textContentType(.URL)
                        .textInputAutocapitalization(.never)
                        .autocorrectionDisabled()
                } header: {
                    Text("服务器")
                }
                Section {
                    TextField("用户名", text: $username)
                        .textContentType(.username)
                        .textInputAutocapitalization(.never)
                        .autocorrectionDisabled()
                    SecureField("密码", text: $password)
                        .textContentType(.password)
                        .onSubmit { Task { await signIn() } }
                } header: {
                    Text("账号")
                }
                if let failure {
                    Section {
                        FailureText(failure: failure)
                    }
                }
                Section {
                    Button {
                        Task { await signIn() }
                    } label: {
                        HStack {
                            Text("登录")
                            if busy {
                                Spacer()
                                ProgressView()
                            }
                        }
                    }
                    .disabled(!canSignIn)
                }
            }
            .navigationTitle("督办")
            .onAppear {
                if server.isEmpty { server = store.serverUrl ?? "" }
            }
        }
    }

    private var canSignIn: Bool {
        !busy && !server.trimmingCharacters(in: .whitespaces).isEmpty && !username.isEmpty && !password.isEmpty
    }

    private func signIn() async {
        guard canSignIn else { return }
        busy = true
        defer { busy = false }
        do {
            try await store.signIn(serverUrl: server, username: username, password: password)
            password = ""
            failure = nil
        } catch {
            failure = Failure(error)
        }
    }
}
