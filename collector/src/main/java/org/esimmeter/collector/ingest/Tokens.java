package org.esimmeter.collector.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Bearer tokens: each agent's ingest token and the optional read token. Comparisons take the same time whatever
 * the bytes (MessageDigest.isEqual) and every agent is compared, so timing tells an attacker nothing about which
 * prefix or which agent came close.
 */
public final class Tokens {
    private static final String BEARER = "Bearer ";

    private final List<String> agentIds = new ArrayList<>();
    private final List<byte[]> agentTokens = new ArrayList<>();
    private final byte[] readToken;

    /** @param readToken null when reads are open to anyone who can reach the port */
    public Tokens(final Map<String, String> agentTokens, final String readToken) {
        agentTokens.forEach((agentId, token) -> {
            agentIds.add(agentId);
            this.agentTokens.add(token.getBytes(StandardCharsets.UTF_8));
        });
        this.readToken = readToken == null ? null : readToken.getBytes(StandardCharsets.UTF_8);
    }

    /** The agent whose token {@code authorization} ({@code Bearer TOKEN}) carries. */
    public String agentFor(final String authorization) throws UnauthorizedException {
        final byte[] presented = bearer(authorization);
        String agent = null;
        for (int i = 0; i < agentIds.size(); i++) {
            if (MessageDigest.isEqual(agentTokens.get(i), presented) && agent == null) {
                agent = agentIds.get(i);
            }
        }
        if (agent == null) {
            throw new UnauthorizedException("authorization : not the token of any configured agent");
        }
        return agent;
    }

    /** True when reads need a token. */
    public boolean readProtected() {
        return readToken != null;
    }

    /**
     * Checks a reader's credentials: the {@code Authorization} header, or for the live stream (browsers' EventSource
     * cannot set headers) the {@code access_token} query parameter. No-op when no read token is configured.
     */
    public void checkRead(final String authorization, final String accessToken) throws UnauthorizedException {
        if (readToken == null) {
            return;
        }
        final byte[] presented = authorization == null && accessToken != null ?
            accessToken.getBytes(StandardCharsets.UTF_8) : bearer(authorization);
        if (!MessageDigest.isEqual(readToken, presented)) {
            throw new UnauthorizedException("authorization : not the read token");
        }
    }

    private static byte[] bearer(final String authorization) throws UnauthorizedException {
        if (authorization == null || authorization.isBlank()) {
            throw new UnauthorizedException("authorization : missing (expected: Authorization: Bearer TOKEN)");
        }
        if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw new UnauthorizedException("authorization : not a bearer token (expected: Authorization: " +
                "Bearer TOKEN)");
        }
        return authorization.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
    }
}
